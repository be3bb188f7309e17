using DistSync.Raft;

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

    [Fact]
    public void Commit_LeaderWriteStillInFlightAfterAdvance_WaitsForMarkPersisted_10_2_1()
    {
        var node = ElectedLeader();
        var first = node.GetReady();
        var empty = Assert.Single(first.EntriesToPersist);
        node.Advance(first, persisted: false); // handed to the WAL writer, not on disk yet

        node.Step(new Message { Type = MessageType.AppendResponse, From = "node2", To = "node1", Term = node.Term, Index = empty.Index });
        Assert.Equal(0, node.Status.Commit);

        node.MarkPersisted(empty.Index, empty.Term);
        Assert.Equal(empty.Index, node.Status.Commit);
    }

    [Fact]
    public void GetReady_EntriesAlreadyHandedToTheWriter_AreNotHandedAgain()
    {
        var node = ElectedLeader();
        var first = node.GetReady();
        node.Advance(first, persisted: false);

        var proposed = node.Propose([1, 2, 3]);
        var second = node.GetReady();

        Assert.Equal([proposed.Index], second.EntriesToPersist.Select(e => e.Index));
    }

    [Fact]
    public void MarkPersisted_EntryOverwrittenWhileBeingWritten_IsIgnored()
    {
        // node2 follows node1 in term 1 and is writing entries 1..2 when node3, leader of term 2, replaces entry 2.
        var node = new RaftNode(RaftTestCluster.Options("node2", Three), null, new Random(1));
        node.Step(new Message
        {
            Type = MessageType.Append, From = "node1", To = "node2", Term = 1, Index = 0, LogTerm = 0,
            Entries = [new Entry(1, 1, EntryType.Command, [1]), new Entry(2, 1, EntryType.Command, [2])],
        });
        var ready = node.GetReady();
        node.Advance(ready, persisted: false);
        node.Step(new Message
        {
            Type = MessageType.Append, From = "node3", To = "node2", Term = 2, Index = 1, LogTerm = 1,
            Entries = [new Entry(2, 2, EntryType.Command, [9])],
        });
        var overwrite = node.GetReady();
        Assert.Equal([(2L, 2L)], overwrite.EntriesToPersist.Select(e => (e.Index, e.Term)));
        node.Advance(overwrite, persisted: false);

        node.MarkPersisted(2, 1); // the first write finished, but its entry 2 is gone
        Assert.Equal(0, node.Log.Stable);

        node.MarkPersisted(2, 2);
        Assert.Equal(2, node.Log.Stable);
    }

    private static RaftNode ElectedLeader()
    {
        var node = new RaftNode(RaftTestCluster.Options("node1", Three), null, new Random(1));
        node.CampaignNow();
        node.Step(new Message { Type = MessageType.PreVoteResponse, From = "node2", To = "node1", Term = 1 });
        node.Step(new Message { Type = MessageType.VoteResponse, From = "node2", To = "node1", Term = node.Term });
        Assert.Equal(RaftRole.Leader, node.Role);
        return node;
    }
}
