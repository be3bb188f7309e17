using DistSync.LoadTests.Versus;

namespace DistSync.Tests.LoadTests;

public sealed class SpreadTopicTests
{
    [Theory]
    [InlineData("foo", 12182)] // CLUSTER KEYSLOT on redis-server 7.0
    [InlineData("bar", 5061)]
    [InlineData("hello", 866)]
    [InlineData("vs-1207091500-rt-1-client:3", 5330)] // the hash tag of ds:q:{vs-1207091500-rt-1-client:3}:ready
    [InlineData("orders:7", 4453)]
    public void Slot_IsRedisClusterKeySlot(string hashTag, int slot)
    {
        Assert.Equal(slot, SpreadTopic.Slot(hashTag));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5460, 0)]
    [InlineData(5461, 1)]
    [InlineData(10922, 1)]
    [InlineData(10923, 2)]
    [InlineData(16383, 2)]
    public void Primary_FollowsRedisClisSplitOfThreePrimaries(int slot, int primary)
    {
        Assert.Equal(primary, SpreadTopic.Primary(slot));
    }

    [Theory]
    [InlineData("vs-1207091500-rt-1-client")]
    [InlineData("vs-1207091500-rt-50-http")]
    [InlineData("orders")]
    public void Pick_EveryPrimaryHoldsTwoOrThreeOfTheEightPartitions(string name)
    {
        var topic = SpreadTopic.Pick(name);

        Assert.StartsWith(name, topic, StringComparison.Ordinal);
        Assert.All(SpreadTopic.PartitionsPerPrimary(topic), n => Assert.InRange(n, 2, 3));
    }

    [Fact]
    public void PartitionsPerPrimary_AnyName_ReachesAllThreePrimaries()
    {
        var splits = Enumerable.Range(0, 2000).Select(i => SpreadTopic.PartitionsPerPrimary($"vs-{i}-rt-10-client")).ToList();

        Assert.All(splits, counts => Assert.All(counts, n => Assert.InRange(n, 2, 4)));
        Assert.Contains(splits, counts => counts.Contains(4)); // why Pick looks further: half the queue on one primary
    }

    [Fact]
    public void Pick_ANameThatSpreads_IsKept()
    {
        var spread = Enumerable.Range(0, 50).Select(i => $"t{i}").First(t => SpreadTopic.PartitionsPerPrimary(t).All(n => n is 2 or 3));

        Assert.Equal(spread, SpreadTopic.Pick(spread));
    }
}
