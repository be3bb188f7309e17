using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>Rules of the Raft paper (Ongaro &amp; Ousterhout 2014), one section per test, in the spirit of etcd's raft_paper_test.go.</summary>
public sealed class RaftPaperTests
{
    private static readonly string[] Three = ["node1", "node2", "node3"];

    private static RaftNode Lone(string id = "node1", PersistedState? restored = null, Action<RaftOptions>? configure = null)
    {
        var options = RaftTestCluster.Options(id, Three);
        configure?.Invoke(options);
        return new RaftNode(options, restored, new Random(1));
    }

    private static Ready Drain(RaftNode node)
    {
        var ready = node.GetReady();
        node.Advance(ready);
        return ready;
    }

    private static PersistedState LogOf(long term, string? vote, long commit, params (long Index, long Term)[] entries) =>
        new(new HardState(term, vote, commit), null, [.. entries.Select(e => new Entry(e.Index, e.Term, EntryType.Command, [(byte)e.Index]))]);

    [Fact]
    public void Step_StaleTermAppend_RejectedWithCurrentTerm_5_1()
    {
        // §5.1: a request with a stale term is rejected; the reply carries the current term.
        var node = Lone(restored: LogOf(3, null, 0));
        Drain(node);

        node.Step(new Message { Type = MessageType.Append, From = "node2", To = "node1", Term = 2, Index = 0, LogTerm = 0, Entries = [new Entry(1, 2, EntryType.Command, [1])] });

        var ready = Drain(node);
        Assert.Equal(0, node.Log.LastIndex);
        var reply = Assert.Single(ready.Messages);
        Assert.Equal(MessageType.AppendResponse, reply.Type);
        Assert.Equal(3, reply.Term);
        Assert.Null(node.LeaderId);
    }

    [Fact]
    public void Step_HigherTerm_CandidateStepsDownToFollower_5_1()
    {
        var node = Lone(configure: o => o.PreVote = false);
        node.CampaignNow();
        Assert.Equal(RaftRole.Candidate, node.Role);

        node.Step(new Message { Type = MessageType.Heartbeat, From = "node2", To = "node1", Term = 5 });

        Assert.Equal(RaftRole.Follower, node.Role);
        Assert.Equal(5, node.Term);
        Assert.Equal("node2", node.LeaderId);
    }

    [Fact]
    public void Tick_ElectionTimeout_CandidateAsksEveryPeerForVotes_5_2()
    {
        var node = Lone(configure: o => o.PreVote = false);
        for (var i = 0; i < 20; i++)
        {
            node.Tick();
        }

        var ready = Drain(node);
        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.Equal(1, node.Term);
        Assert.Equal(new HardState(1, "node1", 0), ready.HardState);
        var votes = ready.Messages.Where(m => m.Type == MessageType.Vote).Select(m => m.To).Order().ToArray();
        Assert.Equal(["node2", "node3"], votes);
    }

    [Fact]
    public void Elect_ThreeNodes_OneLeaderAndEveryoneFollows_5_2()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        Assert.Equal(RaftRole.Leader, cluster["node1"].Role);
        Assert.All(cluster.Ids, id => Assert.Equal("node1", cluster[id].LeaderId));
        Assert.All(cluster.Ids, id => Assert.Equal(1, cluster[id].Term));
        // The new leader's empty entry commits everywhere.
        Assert.All(cluster.Ids, id => Assert.Equal(EntryType.Empty, Assert.Single(cluster.Applied[id]).Type));
    }

    [Fact]
    public void Vote_SecondCandidateSameTerm_Rejected_5_2()
    {
        // §5.2: each server votes for at most one candidate in a term, first come first served.
        var node = Lone();
        node.Step(new Message { Type = MessageType.Vote, From = "node2", To = "node1", Term = 1 });
        node.Step(new Message { Type = MessageType.Vote, From = "node3", To = "node1", Term = 1 });

        var responses = Drain(node).Messages;
        Assert.False(responses.Single(m => m.To == "node2").Reject);
        Assert.True(responses.Single(m => m.To == "node3").Reject);
        Assert.Equal("node2", node.Status.VotedFor);
    }

    [Fact]
    public void Vote_SameCandidateAgain_GrantedAgain_5_2()
    {
        var node = Lone();
        node.Step(new Message { Type = MessageType.Vote, From = "node2", To = "node1", Term = 1 });
        node.Step(new Message { Type = MessageType.Vote, From = "node2", To = "node1", Term = 1 });

        Assert.All(Drain(node).Messages, m => Assert.False(m.Reject));
    }

    [Theory]
    [InlineData(2, 1, true)] // candidate's last term is older
    [InlineData(1, 3, true)] // same last term, shorter log
    [InlineData(2, 3, false)] // same last term, same length
    [InlineData(3, 1, false)] // newer last term wins even when shorter
    public void Vote_CandidateLogNotUpToDate_Rejected_5_4_1(long lastTerm, long lastIndex, bool rejected)
    {
        // §5.4.1 election restriction: our log is (1:1, 2:1, 3:2).
        var node = Lone(restored: LogOf(2, null, 0, (1, 1), (2, 1), (3, 2)));
        Drain(node);

        node.Step(new Message { Type = MessageType.Vote, From = "node2", To = "node1", Term = 3, LogTerm = lastTerm, Index = lastIndex });

        Assert.Equal(rejected, Assert.Single(Drain(node).Messages).Reject);
    }

    [Fact]
    public void Append_PrevEntryMissing_RejectedWithHint_5_3()
    {
        var node = Lone(restored: LogOf(1, null, 0, (1, 1), (2, 1)));
        Drain(node);

        node.Step(new Message { Type = MessageType.Append, From = "node2", To = "node1", Term = 2, Index = 5, LogTerm = 2, Entries = [new Entry(6, 2, EntryType.Command, [6])] });

        var reply = Assert.Single(Drain(node).Messages);
        Assert.True(reply.Reject);
        Assert.Equal(5, reply.Index);
        Assert.Equal(2, reply.RejectHint);
        Assert.Equal(2, node.Log.LastIndex);
    }

    [Fact]
    public void Append_ConflictingEntries_TruncatedAndReplaced_5_3()
    {
        // §5.3: an existing entry that conflicts with a new one (same index, other term) is deleted with all that follow.
        var node = Lone(restored: LogOf(2, null, 1, (1, 1), (2, 1), (3, 2), (4, 2)));
        Drain(node);

        node.Step(new Message
        {
            Type = MessageType.Append, From = "node2", To = "node1", Term = 3, Index = 2, LogTerm = 1, Commit = 3,
            Entries = [new Entry(3, 3, EntryType.Command, [9])],
        });

        var ready = Drain(node);
        Assert.Equal(3, node.Log.LastIndex);
        Assert.Equal(3, node.Log.At(3).Term);
        var persisted = Assert.Single(ready.EntriesToPersist);
        Assert.Equal((3L, 3L), (persisted.Index, persisted.Term));
        Assert.Equal(3, ready.HardState!.Value.Commit);
        Assert.Equal([2L, 3L], ready.CommittedEntries.Select(e => e.Index));
        Assert.False(Assert.Single(ready.Messages).Reject);
    }

    [Fact]
    public void Propose_ThreeNodes_SameEntriesAppliedInOrderEverywhere_5_3()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        Assert.True(cluster.Propose("node1", "a").IsAccepted);
        Assert.True(cluster.Propose("node1", "b").IsAccepted);
        cluster.TickAll(2);

        Assert.All(cluster.Ids, id => Assert.Equal(["a", "b"], RaftTestCluster.Commands(cluster.Applied[id])));
        Assert.All(cluster.Ids, id => Assert.Equal(3, cluster[id].Status.Commit));
    }

    [Fact]
    public void Propose_Follower_NotLeaderWithHint()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        var result = cluster["node2"].Propose([1]);

        Assert.Equal(ProposeStatus.NotLeader, result.Status);
        Assert.Equal("node1", result.LeaderHint);
    }

    [Fact]
    public void AppendResponse_OldTermEntryOnMajority_NotCommittedByCounting_5_4_2()
    {
        // §5.4.2 (Figure 8): a leader never commits an entry of an earlier term by counting replicas.
        var node = Lone(restored: LogOf(2, null, 1, (1, 1), (2, 2)), configure: o => o.PreVote = false);
        Drain(node);
        node.CampaignNow();
        node.Step(new Message { Type = MessageType.VoteResponse, From = "node2", To = "node1", Term = 3 });
        Assert.Equal(RaftRole.Leader, node.Role);
        Drain(node);

        node.Step(new Message { Type = MessageType.AppendResponse, From = "node2", To = "node1", Term = 3, Index = 2 });
        Assert.Equal(1, node.Status.Commit);

        // Once the leader's own empty entry (index 3, term 3) is on a majority, everything before it commits too.
        node.Step(new Message { Type = MessageType.AppendResponse, From = "node2", To = "node1", Term = 3, Index = 3 });
        Assert.Equal(3, node.Status.Commit);
    }

    [Fact]
    public void Restart_FromPersistedState_KeepsTermVoteAndLog_5_1()
    {
        var node = Lone(restored: LogOf(4, "node3", 2, (1, 1), (2, 3), (3, 4)));

        var status = node.Status;
        Assert.Equal((4L, "node3", 2L, 3L), (status.Term, status.VotedFor, status.Commit, status.LastIndex));
        // Committed entries after the snapshot are handed out again for the state machine to replay.
        Assert.Equal([1L, 2L], Drain(node).CommittedEntries.Select(e => e.Index));
        Assert.Equal(RaftRole.Follower, node.Role);
    }
}
