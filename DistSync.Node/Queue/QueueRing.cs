using System.IO.Hashing;
using System.Text;
using DistSync.Node.Membership;

namespace DistSync.Node.Queue;

/// <summary>Where a message goes: its partition (a stable hash of its key) and that partition's owner in the current epoch.</summary>
public sealed class QueueRing(MembershipStateMachine membership)
{
    public ClusterMembership Membership => membership.Current;

    /// <summary>Hash of the routing input modulo the partitions: the same key always lands in the same partition.</summary>
    public static int PartitionOf(string routingInput, int partitions) =>
        (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(routingInput)) % (ulong)partitions);

    /// <summary>What a partition is placed on the ring by (<see cref="RingKey"/>), as clients are told it.</summary>
    public const string RingKeyFormat = "queue/{topic}/{partition}";

    public static string RingKey(string topic, int partition) => $"queue/{topic}/{partition}";

    public static string OwnerOf(ClusterMembership membership, string topic, int partition) => membership.Ring.OwnerOf(RingKey(topic, partition));

    public string OwnerOf(string topic, int partition) => OwnerOf(Membership, topic, partition);

    /// <summary>A message id carries its partition (<c>3-9f2c…</c>), so an ack finds the owner without a lookup.</summary>
    public static string NewId(int partition) => $"{partition}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}";

    public static bool TryPartitionOfId(string id, int partitions, out int partition)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        partition = -1;
        return dash is > 0 and <= 3 && int.TryParse(id.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out partition)
            && partition < partitions && id.Length - dash - 1 == 32;
    }
}
