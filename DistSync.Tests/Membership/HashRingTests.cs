using DistSync.Node.Membership;
using DistSync.Node.Queue;

namespace DistSync.Tests.Membership;

/// <summary>Consistent hashing: the same members give the same owners everywhere, and a member leaving moves only its own keys.</summary>
public sealed class HashRingTests
{
    private static readonly string[] Three = ["node1", "node2", "node3"];
    private static readonly string[] Keys = [.. Enumerable.Range(0, 20_000).Select(i => $"key-{i}")];

    [Fact]
    public void OwnerOf_SameMembersInAnyOrder_SameOwnerForEveryKey()
    {
        var a = new HashRing(Three);
        var b = new HashRing(["node3", "node1", "node2", "node1"]);

        Assert.All(Keys, k => Assert.Equal(a.OwnerOf(k), b.OwnerOf(k)));
        Assert.Equal(Three, b.Members);
    }

    [Fact]
    public void Remove_OneOfThree_MovesOnlyItsKeys_AboutAThird()
    {
        var before = new HashRing(Three);
        var after = new HashRing(["node1", "node3"]);

        var moved = Keys.Where(k => before.OwnerOf(k) != after.OwnerOf(k)).ToList();

        Assert.All(moved, k => Assert.Equal("node2", before.OwnerOf(k)));
        Assert.Equal(Keys.Count(k => before.OwnerOf(k) == "node2"), moved.Count);
        Assert.InRange(moved.Count / (double)Keys.Length, 0.25, 0.42);
    }

    [Fact]
    public void Add_BackTheThird_MovesOnlyTheKeysItTakes()
    {
        var before = new HashRing(["node1", "node3"]);
        var after = new HashRing(Three);

        var moved = Keys.Where(k => before.OwnerOf(k) != after.OwnerOf(k)).ToList();

        Assert.All(moved, k => Assert.Equal("node2", after.OwnerOf(k)));
        Assert.InRange(moved.Count / (double)Keys.Length, 0.25, 0.42);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    public void OwnerOf_ManyTopicsPartitions_EveryMemberOwnsItsShare(int members)
    {
        var ring = new HashRing(Enumerable.Range(1, members).Select(i => $"node{i}"));
        var owners = Enumerable.Range(0, 500).SelectMany(t => Enumerable.Range(0, 8).Select(p => ring.OwnerOf(QueueRing.RingKey($"topic-{t}", p)))).ToList();

        foreach (var member in ring.Members)
        {
            Assert.InRange(owners.Count(o => o == member) / (double)owners.Count, 0.6 / members, 1.5 / members);
        }
    }

    [Fact]
    public void Remove_PartitionsOfATopic_OnlyTheLostNodesMove()
    {
        var before = new HashRing(Three);
        var after = new HashRing(["node1", "node2"]);
        var partitions = Enumerable.Range(0, 200).SelectMany(t => Enumerable.Range(0, 8).Select(p => QueueRing.RingKey($"t{t}", p))).ToList();

        Assert.All(partitions.Where(k => before.OwnerOf(k) != "node3"), k => Assert.Equal(before.OwnerOf(k), after.OwnerOf(k)));
    }

    [Fact]
    public void OwnerOf_EmptyRing_Throws() =>
        Assert.Throws<InvalidOperationException>(() => new HashRing([]).OwnerOf("k"));
}
