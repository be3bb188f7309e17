using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Hosting;

/// <summary>
/// What a node presents on every request to a peer and demands on its own <c>/internal</c> routes: the cluster key
/// (a shared secret) and the cluster id (which cluster's data folder it runs on, see <see cref="ClusterIdentity"/>).
/// Built once at start, which is when a data folder of the wrong cluster, or a lost one, stops the node.
/// </summary>
public sealed class PeerCredentials
{
    public const string KeyHeader = "X-DistSync-Cluster-Key";
    public const string IdHeader = "X-DistSync-Cluster-Id";

    private readonly byte[]? _keyHash;

    public PeerCredentials(IOptions<NodeOptions> options)
    {
        var node = options.Value;
        Key = node.ClusterKey ?? "";
        _keyHash = string.IsNullOrWhiteSpace(Key) ? null : Hash(Key);
        ClusterId = ClusterIdentity.Establish(node.ResolveDataDir(), node.NodeId, node.ClusterId, node.ClusterState);
    }

    public string Key { get; }

    /// <summary>False only for a node without peers run without a key (see <see cref="NodeOptionsValidator"/>): it takes no peer requests.</summary>
    public bool HasKey => _keyHash is not null;

    /// <summary>Null only for a node run without one (no AppHost, no DistSync__ClusterId): it then checks none.</summary>
    public string? ClusterId { get; }

    public void Apply(HttpRequestMessage request)
    {
        request.Headers.Add(KeyHeader, Key);
        if (ClusterId is not null)
        {
            request.Headers.Add(IdHeader, ClusterId);
        }
    }

    /// <summary>
    /// Compared in constant time by SHA-256, as tokens are: neither the key's content nor its length leaks through
    /// response timing. A node without a key matches nothing.
    /// </summary>
    public bool KeyMatches(string presented) =>
        _keyHash is not null && CryptographicOperations.FixedTimeEquals(Hash(presented), _keyHash);

    public bool IdMatches(string? presented) => ClusterId is null || string.Equals(presented, ClusterId, StringComparison.Ordinal);

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
