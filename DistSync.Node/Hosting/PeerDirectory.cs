using Microsoft.Extensions.Options;

namespace DistSync.Node.Hosting;

/// <summary>
/// The other nodes of the cluster, read from the service-discovery configuration Aspire injects for
/// every reference: <c>services__node2__http__0=http://127.0.0.1:8002</c>. Every referenced service with
/// an http(s) endpoint other than this node is a peer.
/// </summary>
public sealed class PeerDirectory
{
    private readonly Dictionary<string, Uri> _peers;

    public PeerDirectory(IConfiguration configuration, IOptions<NodeOptions> options)
    {
        SelfId = options.Value.NodeId;
        _peers = Parse(configuration.GetSection("services"), SelfId);
    }

    public string SelfId { get; }

    /// <summary>Peer ids, sorted (so every node lists the same cluster in the same order).</summary>
    public IReadOnlyList<string> PeerIds => [.. _peers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>This node and its peers, sorted.</summary>
    public IReadOnlyList<string> AllIds => [.. _peers.Keys.Append(SelfId).Order(StringComparer.Ordinal)];

    public Uri AddressOf(string peerId) =>
        _peers.TryGetValue(peerId, out var uri) ? uri : throw new KeyNotFoundException($"'{peerId}' is not a peer of {SelfId}.");

    public bool TryGetAddress(string peerId, out Uri address) => _peers.TryGetValue(peerId, out address!);

    internal static Dictionary<string, Uri> Parse(IConfigurationSection services, string selfId)
    {
        var peers = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var service in services.GetChildren())
        {
            if (service.Key == selfId)
            {
                continue;
            }

            // Prefer http (peers talk on loopback or a private network); fall back to https.
            var address = service.GetSection("http").GetChildren().Select(e => e.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))
                ?? service.GetSection("https").GetChildren().Select(e => e.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
            if (address is null)
            {
                continue;
            }

            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new OptionsValidationException("services", typeof(PeerDirectory),
                    [$"services:{service.Key} has '{address}', which is not an http(s) URL."]);
            }

            peers[service.Key] = uri;
        }

        return peers;
    }
}
