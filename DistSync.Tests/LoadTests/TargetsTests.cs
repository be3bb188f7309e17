using DistSync.LoadTests.Cluster;

namespace DistSync.Tests.LoadTests;

public sealed class TargetsTests
{
    private static readonly Uri Url1 = new("http://127.0.0.1:8101/");
    private static readonly Uri Url2 = new("http://127.0.0.1:8102/");
    private static readonly Uri Url3 = new("http://127.0.0.1:8103/");

    private static NodeView[] Cluster(string? leader, long term = 3) =>
    [
        new(Url1, "node1", leader, term),
        new(Url2, "node2", leader, term),
        new(Url3, "node3", leader, term),
    ];

    [Fact]
    public void Select_Leader_IsTheLeadersUrl()
    {
        Assert.Equal([Url2], Targets.Select(Cluster("node2"), Targets.Leader));
    }

    [Fact]
    public void Select_Followers_AreTheOtherNodesInOrder()
    {
        Assert.Equal([Url1, Url3], Targets.Select(Cluster("node2"), Targets.Followers));
    }

    [Fact]
    public void Select_All_IsEveryNodeEvenWithoutLeader()
    {
        Assert.Equal([Url1, Url2, Url3], Targets.Select(Cluster(leader: null), Targets.All));
    }

    [Fact]
    public void Select_StaleViews_TrustTheHighestTerm()
    {
        NodeView[] nodes = [new(Url1, "node1", "node1", 2), new(Url2, "node2", "node3", 5), new(Url3, "node3", "node3", 5)];

        Assert.Equal([Url3], Targets.Select(nodes, Targets.Leader));
    }

    [Fact]
    public void Select_LeaderNotReachable_Throws()
    {
        NodeView[] nodes = [new(Url1, "node1", "node3", 4), new(Url2, "node2", "node3", 4)];

        Assert.Throws<InvalidOperationException>(() => Targets.Select(nodes, Targets.Leader));
    }

    [Fact]
    public void For_ClientsBeyondTheCount_WrapRoundRobin()
    {
        Uri[] targets = [Url1, Url2, Url3];

        Assert.Equal([Url1, Url2, Url3, Url1, Url2], Enumerable.Range(0, 5).Select(i => Targets.For(targets, i)));
    }

    [Fact]
    public void Rotating_OneClient_VisitsEveryTargetInTurnFromItsOwn()
    {
        Uri[] targets = [Url1, Url2, Url3];

        Assert.Equal([Url1, Url2, Url3, Url1], Enumerable.Range(0, 4).Select(k => targets[Targets.Rotating(3, 0, k)]));
        Assert.Equal([Url3, Url1, Url2], Enumerable.Range(0, 3).Select(k => targets[Targets.Rotating(3, 2, k)]));
    }
}
