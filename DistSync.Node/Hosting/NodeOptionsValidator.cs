using Microsoft.Extensions.Options;

namespace DistSync.Node.Hosting;

/// <summary>
/// Only peers speak for the cluster: a node with peers does not start without a cluster key, or anyone who reaches
/// its <c>/internal</c> routes could post Raft messages as a peer (a forged entry can release every lock). A node
/// alone may run without one; it then takes no peer requests at all.
/// </summary>
public sealed class NodeOptionsValidator(IConfiguration configuration) : IValidateOptions<NodeOptions>
{
    /// <summary>As long as a token's secret must be.</summary>
    public const int MinKeyLength = 16;

    public ValidateOptionsResult Validate(string? name, NodeOptions options)
    {
        var peers = PeerDirectory.Parse(configuration.GetSection("services"), options.NodeId).Keys.Order(StringComparer.Ordinal).ToList();
        if (peers.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        var key = options.ClusterKey;
        if (string.IsNullOrWhiteSpace(key))
        {
            return ValidateOptionsResult.Fail(
                $"This node has peers ({string.Join(", ", peers.Select(p => $"services__{p}__http__0"))}) but no cluster key: set DistSync__ClusterKey "
                + $"to the same secret of at least {MinKeyLength} characters on every node (the AppHost generates one). Without it anyone who can "
                + "reach /internal/* could speak for the cluster.");
        }

        return key.Length < MinKeyLength
            ? ValidateOptionsResult.Fail($"DistSync__ClusterKey must be at least {MinKeyLength} characters (it has {key.Length}).")
            : ValidateOptionsResult.Success;
    }
}
