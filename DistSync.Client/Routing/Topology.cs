using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace DistSync.Client;

/// <summary>
/// The cluster as <c>GET /cluster/topology</c> gave it: the members' URLs, the leader, and the ring, from which a queue
/// partition's owner and a cache key's home are computed here exactly as the nodes compute them (docs/api.md, Routing).
/// </summary>
internal sealed class Topology
{
    private readonly Dictionary<string, Uri> _urls;
    private readonly (ulong Point, string Node)[] _ring;
    private readonly string _partitionKeyFormat;
    private readonly string _cacheKeyFormat;

    private Topology(Dictionary<string, Uri> urls, string? leaderId, long term, long epoch, (ulong, string)[] ring, string partitionKeyFormat, string cacheKeyFormat)
    {
        _urls = urls;
        LeaderId = leaderId;
        Term = term;
        Epoch = epoch;
        _ring = ring;
        _partitionKeyFormat = partitionKeyFormat;
        _cacheKeyFormat = cacheKeyFormat;
    }

    public string? LeaderId { get; }

    public long Term { get; }

    public long Epoch { get; }

    public IEnumerable<Uri> Urls => _urls.Values;

    public Uri? Leader => LeaderId is { } id ? _urls.GetValueOrDefault(id) : null;

    /// <summary>The topology in <paramref name="body"/>, or null when it speaks of a hash or format this client does not know.</summary>
    public static Topology? Parse(JsonElement body, Uri answeredBy)
    {
        var ring = body.GetProperty("ring");
        if (ring.GetProperty("hash").GetString() != "xxhash64" || body.GetProperty("partition_hash").GetString() != "xxhash64")
        {
            return null; // a newer server's ring: send everything anywhere rather than to a wrong guess
        }

        var urls = new Dictionary<string, Uri>(StringComparer.Ordinal);
        var self = body.GetProperty("node_id").GetString()!;
        foreach (var member in body.GetProperty("members").EnumerateArray())
        {
            var id = member.GetProperty("node_id").GetString()!;
            if (member.GetProperty("url").GetString() is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                urls[id] = uri;
            }
            else if (id == self)
            {
                urls[id] = answeredBy; // it listens on a wildcard: the URL it was reached by
            }
        }

        var pointFormat = ring.GetProperty("point_key_format").GetString()!;
        var virtualNodes = ring.GetProperty("virtual_nodes").GetInt32();
        var points = ring.GetProperty("members").EnumerateArray().Select(m => m.GetString()!)
            .SelectMany(m => Enumerable.Range(0, virtualNodes).Select(i => (Point: Hash(pointFormat.Replace("{node_id}", m, StringComparison.Ordinal)
                .Replace("{index}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)), Node: m)))
            .OrderBy(p => p.Point).ThenBy(p => p.Node, StringComparer.Ordinal)
            .ToArray();
        return new Topology(urls, body.GetProperty("leader_id").GetString(), body.GetProperty("term").GetInt64(), ring.GetProperty("epoch").GetInt64(),
            points, body.GetProperty("partition_key_format").GetString()!, body.GetProperty("cache_key_format").GetString()!);
    }

    /// <summary>The node that owns a topic's partition now, if the ring and its URL are known.</summary>
    public Uri? OwnerOf(string topic, int partition) =>
        NodeOf(_partitionKeyFormat.Replace("{topic}", topic, StringComparison.Ordinal)
            .Replace("{partition}", partition.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

    /// <summary>A cache key's home now.</summary>
    public Uri? HomeOf(string key) => NodeOf(_cacheKeyFormat.Replace("{key}", key, StringComparison.Ordinal));

    /// <summary>The partition a publish goes to: by its key, else its dedup id, else its request id and place in the batch.</summary>
    public static int PartitionOf(string? key, string? dedupId, string requestId, int place, int partitions) =>
        (int)(Hash(key ?? dedupId ?? $"p:{requestId}:{place}") % (ulong)partitions);

    public static ulong Hash(string text) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(text));

    private Uri? NodeOf(string ringKey)
    {
        if (_ring.Length == 0)
        {
            return null;
        }

        var hash = Hash(ringKey);
        int low = 0, high = _ring.Length;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (_ring[mid].Point < hash)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return _urls.GetValueOrDefault(_ring[low == _ring.Length ? 0 : low].Node);
    }
}
