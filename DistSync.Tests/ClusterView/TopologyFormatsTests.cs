using DistSync.Node.Cache;
using DistSync.Node.Membership;
using DistSync.Node.Queue;

namespace DistSync.Tests.ClusterView;

/// <summary>The formats the topology advertises are the ones the node's rings use, so a client that fills them in routes as the nodes do.</summary>
public sealed class TopologyFormatsTests
{
    [Theory]
    [InlineData("node1", 0)]
    [InlineData("node-7", 127)]
    public void PointKeyFormat_FilledIn_IsTheRingsPointKey(string member, int index) =>
        Assert.Equal(HashRing.PointKey(member, index), HashRing.PointKeyFormat.Replace("{node_id}", member, StringComparison.Ordinal).Replace("{index}", $"{index}", StringComparison.Ordinal));

    [Theory]
    [InlineData("orders", 0)]
    [InlineData("a/b c", 255)]
    public void PartitionKeyFormat_FilledIn_IsTheQueuesRingKey(string topic, int partition) =>
        Assert.Equal(QueueRing.RingKey(topic, partition), QueueRing.RingKeyFormat.Replace("{topic}", topic, StringComparison.Ordinal).Replace("{partition}", $"{partition}", StringComparison.Ordinal));

    [Theory]
    [InlineData("customer/42")]
    [InlineData("ключ {key}")]
    public void CacheKeyFormat_FilledIn_IsTheCachesRingKey(string key) =>
        Assert.Equal(CacheRing.RingKey(key), CacheRing.RingKeyFormat.Replace("{key}", key, StringComparison.Ordinal));
}
