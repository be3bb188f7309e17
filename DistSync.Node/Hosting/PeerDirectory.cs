using Microsoft.Extensions.Options;

namespace DistSync.Node.Hosting;

/// <summary>
/// Where the other nodes are. The environment gives the seeds: the service-discovery configuration Aspire injects for
/// every reference (<c>services__node2__http__0=http://127.0.0.1:8002</c>). Once the node knows the cluster's committed
/// configuration, that is the truth: its members are the peers, and an address committed with a member (a node added
/// at run time) replaces the seed's.
/// </summary>
public sealed class PeerDirectory
{
    private readonly Dictionary<string, Uri> _seeds;
    private volatile Members? _members;

    public PeerDirectory(IConfiguration configuration, IOptions<NodeOptions> options)
    {
        SelfId = options.Value.NodeId;
        _seeds = Parse(configuration.GetSection("services"), SelfId);
        SeedIds = [.. _seeds.Keys.Append(SelfId).Order(StringComparer.Ordinal)];
    }

    /// <summary>Raised after the committed members or their addresses changed (on the Raft loop: keep handlers short).</summary>
    public event Action? Changed;

    public string SelfId { get; }

    /// <summary>This node and the peers the environment names, sorted.</summary>
    public IReadOnlyList<string> SeedIds { get; }

    /// <summary>Peer ids, sorted (so every node lists the same cluster in the same order): the committed members', else the seeds.</summary>
    public IReadOnlyList<string> PeerIds => [.. AllIds.Where(id => id != SelfId)];

    /// <summary>This node and its peers, sorted.</summary>
    public IReadOnlyList<string> AllIds => _members?.Ids ?? SeedIds;

    public Uri AddressOf(string peerId) =>
        TryGetAddress(peerId, out var uri) ? uri : throw new KeyNotFoundException($"'{peerId}' is not a peer of {SelfId}.");

    /// <summary>A committed address first, then the seed's: a member whose address nobody knows cannot be reached.</summary>
    public bool TryGetAddress(string peerId, out Uri address)
    {
        if (_members?.Addresses.TryGetValue(peerId, out var committed) == true)
        {
            address = committed;
            return true;
        }

        return _seeds.TryGetValue(peerId, out address!);
    }

    /// <summary>The committed members (this node may be among them, or not: a removed node) and the addresses committed with them.</summary>
    public void SetMembers(IReadOnlyCollection<string> ids, IReadOnlyDictionary<string, Uri> addresses)
    {
        var next = new Members([.. ids.Order(StringComparer.Ordinal)], new Dictionary<string, Uri>(addresses, StringComparer.Ordinal));
        var previous = _members;
        if (previous is not null && previous.Ids.SequenceEqual(next.Ids, StringComparer.Ordinal)
            && previous.Addresses.Count == next.Addresses.Count && previous.Addresses.All(a => next.Addresses.TryGetValue(a.Key, out var u) && u == a.Value))
        {
            return;
        }

        _members = next;
        Changed?.Invoke();
    }

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

    private sealed record Members(IReadOnlyList<string> Ids, Dictionary<string, Uri> Addresses);
}
