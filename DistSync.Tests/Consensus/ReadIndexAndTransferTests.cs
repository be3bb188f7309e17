using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>ReadIndex (Raft thesis §6.4) and leadership transfer (thesis §3.10).</summary>
public sealed class ReadIndexAndTransferTests
{
    [Fact]
    public void ReadIndex_Leader_AnsweredAfterHeartbeatQuorum_6_4()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Propose("node1", "a");
        var leader = cluster["node1"];

        leader.ReadIndex(77);
        var ready = leader.GetReady();
        // Nothing is answered before the heartbeat round comes back.
        Assert.Empty(ready.ReadStates);
        var heartbeats = ready.Messages.Where(m => m.Type == MessageType.Heartbeat).ToList();
        Assert.Equal(2, heartbeats.Count);
        Assert.All(heartbeats, m => Assert.NotEqual(0, m.Context));
        leader.Advance(ready);

        cluster["node2"].Step(heartbeats.Single(m => m.To == "node2"));
        var ack = cluster["node2"].GetReady().Messages.Single(m => m.Type == MessageType.HeartbeatResponse);
        leader.Step(ack);

        var read = Assert.Single(leader.GetReady().ReadStates);
        Assert.Equal(new ReadState(77, 2, Failed: false), read);
    }

    [Fact]
    public void ReadIndex_LeaderPartitioned_NeverAnswered_6_4()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node1");

        cluster["node1"].ReadIndex(5);
        cluster.Stabilize();

        Assert.Empty(cluster.Reads["node1"]);
    }

    [Fact]
    public void ReadIndex_NewLeaderBeforeCommittingInTerm_WaitsForOwnEntry_6_4()
    {
        // Without check-quorum there is no lease, so node2 can take over at once.
        var cluster = new RaftTestCluster(3, o => o.CheckQuorum = false);
        cluster.Elect("node1");
        // The leader's empty entry is not acknowledged yet: its commit index may be stale.
        cluster.Drop = m => m.Type == MessageType.AppendResponse;
        cluster.Elect("node2");
        var leader = cluster["node2"];
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(1, leader.Status.Commit);

        leader.ReadIndex(9);
        cluster.Stabilize();
        Assert.Empty(cluster.Reads["node2"]);

        cluster.Drop = null;
        cluster.TickAll(2);

        var read = Assert.Single(cluster.Reads["node2"]);
        Assert.Equal(new ReadState(9, 2, Failed: false), read);
    }

    [Fact]
    public void ReadIndex_SingleVoterRestartedWithCommitBehindItsLog_WaitsForItsOwnEntry_6_4()
    {
        // Entries 2 and 3 committed (and were answered) before the crash, but the commit index on disk says 1:
        // only once its own empty entry commits does the restarted node know how far its log is committed.
        var restored = new PersistedState(new HardState(2, "node1", 1), null,
            [new Entry(1, 1, EntryType.Command, [1]), new Entry(2, 2, EntryType.Command, [2]), new Entry(3, 2, EntryType.Command, [3])]);
        var node = new RaftNode(RaftTestCluster.Options("node1", ["node1"]), restored, new Random(1));
        node.CampaignNow();
        Assert.Equal((RaftRole.Leader, 3L), (node.Role, node.Term));

        node.ReadIndex(7);
        var ready = node.GetReady();
        Assert.Empty(ready.ReadStates);
        Assert.Equal((4L, 3L, EntryType.Empty), (ready.EntriesToPersist[^1].Index, ready.EntriesToPersist[^1].Term, ready.EntriesToPersist[^1].Type));
        // The host writes the entry elsewhere (asynchronous WAL): until it is on disk, nothing is committed in term 3.
        node.Advance(ready, persisted: false);
        while (node.HasReady())
        {
            var between = node.GetReady();
            Assert.Empty(between.ReadStates);
            node.Advance(between, persisted: false);
        }

        node.MarkPersisted(4, 3);

        Assert.Equal(new ReadState(7, 4, Failed: false), Assert.Single(node.GetReady().ReadStates));
    }

    [Fact]
    public void ReadIndex_Follower_ForwardedToLeaderAndAnswered_6_4()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Propose("node1", "a");
        cluster.Propose("node1", "b");

        cluster["node3"].ReadIndex(1234);
        cluster.Stabilize();

        Assert.Contains(cluster.Sent, m => m.Type == MessageType.ReadIndex && m.From == "node3" && m.To == "node1");
        Assert.Equal(new ReadState(1234, 3, Failed: false), Assert.Single(cluster.Reads["node3"]));
        Assert.Empty(cluster.Reads["node1"]);
    }

    [Fact]
    public void ReadIndex_NoLeaderKnown_FailsAtOnce()
    {
        var node = new RaftNode(RaftTestCluster.Options("node1", ["node1", "node2", "node3"]), null, new Random(1));

        node.ReadIndex(3);

        Assert.Equal(new ReadState(3, 0, Failed: true), Assert.Single(node.GetReady().ReadStates));
    }

    [Fact]
    public void ReadIndex_LeaderStepsDown_PendingReadsFail()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node1");
        cluster["node1"].ReadIndex(1);
        cluster["node2"].ReadIndex(2);
        cluster.Stabilize();

        // Check-quorum makes the isolated leader step down; its waiting read fails so the host can retry elsewhere.
        cluster.TickAll(20);

        Assert.Equal(new ReadState(1, 0, Failed: true), Assert.Single(cluster.Reads["node1"]));
    }

    [Fact]
    public void ReadIndex_ManyReadsSameCommit_OneHeartbeatRound()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        var leader = cluster["node1"];
        cluster.Sent.Clear();

        for (var i = 1; i <= 50; i++)
        {
            leader.ReadIndex(i);
        }

        cluster.Stabilize();

        Assert.Equal(2, cluster.Sent.Count(m => m.Type == MessageType.Heartbeat));
        Assert.Equal(50, cluster.Reads["node1"].Count(r => !r.Failed && r.Index == 1));
    }

    [Fact]
    public void TransferLeadership_CaughtUpTarget_BecomesLeaderNextTerm_3_10()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Propose("node1", "a");

        Assert.True(cluster["node1"].TransferLeadership("node3"));
        cluster.Stabilize();

        Assert.Contains(cluster.Sent, m => m.Type == MessageType.TimeoutNow && m.To == "node3");
        Assert.Equal(RaftRole.Leader, cluster["node3"].Role);
        Assert.Equal(2, cluster["node3"].Term);
        Assert.Equal(RaftRole.Follower, cluster["node1"].Role);
        Assert.Equal("node3", cluster["node1"].LeaderId);
    }

    [Fact]
    public void TransferLeadership_LaggingTarget_CatchesUpFirst_3_10()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        cluster.Propose("node1", "a");
        cluster.Propose("node1", "b");
        cluster.HealAll();

        cluster["node1"].TransferLeadership("node3");
        cluster.Stabilize();

        Assert.Equal(RaftRole.Leader, cluster["node3"].Role);
        // The new leader holds everything: its log matches the old one up to index 3, then its own empty entry.
        Assert.Equal(4, cluster["node3"].Status.LastIndex);
        Assert.Equal(["a", "b"], RaftTestCluster.Commands(cluster.Applied["node3"]));
    }

    [Fact]
    public void TransferLeadership_TargetUnreachable_ProposalsRefusedThenAbortedAfterElectionTimeout_3_10()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        cluster.Propose("node1", "a");
        var leader = cluster["node1"];

        leader.TransferLeadership("node3");
        Assert.Equal(ProposeStatus.TransferInProgress, leader.Propose([1]).Status);
        Assert.Equal("node3", leader.Status.TransferTarget);

        cluster.TickAll(10);

        Assert.Null(leader.Status.TransferTarget);
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.True(leader.Propose([1]).IsAccepted);
    }

    [Fact]
    public void TransferLeadership_FollowerAsksForItself_ForwardedToLeader_3_10()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        Assert.True(cluster["node2"].TransferLeadership("node2"));
        cluster.Stabilize();

        Assert.Equal(RaftRole.Leader, cluster["node2"].Role);
        Assert.False(cluster["node2"].TransferLeadership("node9"));
    }

    [Fact]
    public void TimeoutNow_BypassesLeaderLease_3_10()
    {
        // A transfer's vote carries the transfer context, which followers honour even inside their lease.
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        cluster["node1"].TransferLeadership("node2");
        cluster.Stabilize();

        var vote = cluster.Sent.First(m => m.Type == MessageType.Vote && m.From == "node2");
        Assert.Equal(Message.TransferContext, vote.Context);
        Assert.All(cluster.Sent.Where(m => m.Type == MessageType.VoteResponse && m.To == "node2"), m => Assert.False(m.Reject));
    }
}
