using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace DistSync.Tests.ClusterView;

/// <summary>
/// Routing as a client computes it from <c>GET /cluster/topology</c> alone, written from docs/api.md (Routing) and not
/// from the node's code: a partition's owner and a cache key's home on the ring the topology describes.
/// </summary>
internal sealed class ClientRouting
{
    private readonly (ulong Point, string Member)[] _points;
    private readonly string _partitionKeyFormat;
    private readonly string _cacheKeyFormat;

    public ClientRouting(JsonElement topology)
    {
        var ring = topology.GetProperty("ring");
        Assert.Equal("xxhash64", ring.GetProperty("hash").GetString());
        Assert.Equal("xxhash64", topology.GetProperty("partition_hash").GetString());
        Epoch = ring.GetProperty("epoch").GetInt64();
        var virtualNodes = ring.GetProperty("virtual_nodes").GetInt32();
        var pointKeyFormat = ring.GetProperty("point_key_format").GetString()!;
        _points =
        [
            .. ring.GetProperty("members").EnumerateArray().Select(m => m.GetString()!)
                .SelectMany(m => Enumerable.Range(0, virtualNodes).Select(i => (Point: Hash(pointKeyFormat.Replace("{node_id}", m, StringComparison.Ordinal).Replace("{index}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)), Member: m)))
                .OrderBy(p => p.Point).ThenBy(p => p.Member, StringComparer.Ordinal),
        ];
        _partitionKeyFormat = topology.GetProperty("partition_key_format").GetString()!;
        _cacheKeyFormat = topology.GetProperty("cache_key_format").GetString()!;
    }

    public long Epoch { get; }

    /// <summary>A message's partition: the hash of its key (else dedup id, else request key) modulo the topic's partitions.</summary>
    public static int PartitionOf(string key, int partitions) => (int)(Hash(key) % (ulong)partitions);

    public string OwnerOf(string topic, int partition) =>
        OwnerOfKey(_partitionKeyFormat.Replace("{topic}", topic, StringComparison.Ordinal).Replace("{partition}", partition.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

    public string HomeOf(string key) => OwnerOfKey(_cacheKeyFormat.Replace("{key}", key, StringComparison.Ordinal));

    /// <summary>The member of the first point at or after the key's hash, going round to the first point past the last.</summary>
    private string OwnerOfKey(string ringKey)
    {
        var hash = Hash(ringKey);
        foreach (var (point, member) in _points)
        {
            if (point >= hash)
            {
                return member;
            }
        }

        return _points[0].Member;
    }

    private static ulong Hash(string value) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(value));
}
