using DistSync.Node.Consensus;

namespace DistSync.Tests.Consensus;

/// <summary>
/// The host sends a leader's appends before they are on the leader's disk (Raft thesis §10.2.1). That is
/// only safe because the leader counts its own copy toward a quorum once it is persisted (Advance).
/// </summary>
public sealed class LeaderDurabilityTests
{
    private static readonly string[] Three = ["node1", "node2", "node3"];

    [Fact]
    public void Commit_FollowerAcksBeforeLeaderPersisted_WaitsForLeadersOwnWrite_10_2_1()
    {
        var node = new RaftNode(RaftTestCluster.Options("node1", Three), null, new Random(1));
        node.CampaignNow();
        node.Step(new Message { Type = MessageType.PreVoteResponse, From = "node2", To = "node1", Term = 1 });
        node.Step(new Message { Type = MessageType.VoteResponse, From = "node2", To = "node1", Term = node.Term });
        Assert.Equal(RaftRole.Leader, node.Role);
        var first = node.GetReady(); // the leader's empty entry, not yet persisted
        var emptyIndex = Assert.Single(first.EntriesToPersist).Index;

        // node2 has written it and says so before node1's own write finished.
        node.Step(new Message { Type = MessageType.AppendResponse, From = "node2", To = "node1", Term = node.Term, Index = emptyIndex });
        Assert.Equal(0, node.Status.Commit); // one durable copy of three is no majority

        node.Advance(first); // node1's write is done: now two durable copies
        Assert.Equal(emptyIndex, node.Status.Commit);
    }
}
