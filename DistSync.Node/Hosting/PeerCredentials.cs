using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Hosting;

/// <summary>
/// What a node presents on every request to a peer and demands on its own <c>/internal</c> routes: the cluster key
/// (a shared secret) and the cluster id (which cluster's data folder it runs on, see <see cref="ClusterIdentity"/>).
/// The id is known once <see cref="Establish"/> has run: the node's start-up does that first, before it serves or
/// dials a peer, and a data folder of the wrong cluster, or a lost one, stops the node there.
/// </summary>
public sealed class PeerCredentials
{
    public const string KeyHeader = "X-DistSync-Cluster-Key";
    public const string IdHeader = "X-DistSync-Cluster-Id";

    private readonly NodeOptions _node;
    private readonly byte[]? _keyHash;
    private string? _clusterId;
    private bool _established;

    public PeerCredentials(IOptions<NodeOptions> options)
    {
        _node = options.Value;
        Key = _node.ClusterKey ?? "";
        _keyHash = string.IsNullOrWhiteSpace(Key) ? null : Hash(Key);
    }

    public string Key { get; }

    /// <summary>False only for a node without peers run without a key (see <see cref="NodeOptionsValidator"/>): it takes no peer requests.</summary>
    public bool HasKey => _keyHash is not null;

    /// <summary>Null only for a node run without one (no AppHost, no DistSync__ClusterId): it then checks none.</summary>
    public string? ClusterId => _established ? _clusterId
        : throw new InvalidOperationException("The cluster id is read before the node's start-up established it (PeerCredentials.Establish).");

    /// <summary>Reads, or at the first start writes, the data folder's cluster id; throws <see cref="ClusterIdentityException"/> when it must not start.</summary>
    public void Establish()
    {
        _clusterId = ClusterIdentity.Establish(_node.ResolveDataDir(), _node.NodeId, _node.ClusterId, _node.ClusterState);
        _established = true;
    }

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
