using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>Pre-vote, check-quorum, replication flow control and snapshots (Raft thesis §9.6, §6.2, §10.2, §5 of the paper §7).</summary>
public sealed class RaftFeatureTests
{
    [Fact]
    public void Tick_PartitionedFollowerWithPreVote_TermDoesNotGrow_9_6()
    {
        // Thesis §9.6: a node that cannot win does not bump its term, so it cannot disrupt the leader when it returns.
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");

        cluster.TickAll(100);

        Assert.Equal(1, cluster["node3"].Term);
        Assert.Equal(RaftRole.PreCandidate, cluster["node3"].Role);

        cluster.HealAll();
        cluster.TickAll(3);
        Assert.Equal(RaftRole.Leader, cluster["node1"].Role);
        Assert.Equal(1, cluster["node1"].Term);
        Assert.Equal("node1", cluster["node3"].LeaderId);
    }

    [Fact]
    public void Tick_PartitionedFollowerWithoutPreVote_TermGrows()
    {
        // The contrast case: without pre-vote the isolated node keeps bumping its term.
        var cluster = new RaftTestCluster(3, o => o.PreVote = false);
        cluster.Elect("node1");
        cluster.Isolate("node3");

        cluster.TickAll(100);

        Assert.True(cluster["node3"].Term > 2, $"term {cluster["node3"].Term}");
    }

    [Fact]
    public void Tick_LeaderHearsNoMajority_StepsDown_CheckQuorum()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node1");

        // The first window still counts the acks of the election; the second one finds no majority.
        cluster.TickAll(20);

        Assert.Equal(RaftRole.Follower, cluster["node1"].Role);
        Assert.Null(cluster["node1"].LeaderId);
    }

    [Fact]
    public void Tick_LeaderWithMajority_StaysLeader_CheckQuorum()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");

        cluster.TickAll(50);

        Assert.Equal(RaftRole.Leader, cluster["node1"].Role);
    }

    [Fact]
    public void Step_VoteWithinLeaderLease_Ignored_CheckQuorum()
    {
        // Followers that heard from a leader within an election timeout ignore a disruptive vote request.
        var cluster = new RaftTestCluster(3, o => o.PreVote = false);
        cluster.Elect("node1");
        var follower = cluster["node2"];
        follower.GetReady();

        follower.Step(new Message { Type = MessageType.Vote, From = "node3", To = "node2", Term = 9, LogTerm = 1, Index = 1 });

        Assert.Equal(1, follower.Term);
        Assert.Equal("node1", follower.LeaderId);
    }

    [Fact]
    public void Step_PreVoteWithinLeaderLease_IgnoredEvenFromAnUpToDateLog_4_2_3()
    {
        // Thesis §4.2.3: within the minimum election timeout of hearing from a leader, a (pre)vote request is not answered,
        // whatever the candidate's log; once the lease lapses the same request is granted.
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        var follower = cluster["node2"];
        var preVote = new Message { Type = MessageType.PreVote, From = "node3", To = "node2", Term = 2, LogTerm = 1, Index = 99 };

        follower.Step(preVote);
        Assert.False(follower.HasReady());

        cluster.Isolate("node2");
        for (var i = 0; i < 10; i++)
        {
            follower.Tick();
        }

        follower.Step(preVote);
        var answer = Assert.Single(follower.GetReady().Messages, m => m.Type == MessageType.PreVoteResponse);
        Assert.False(answer.Reject);
        Assert.Equal(1, follower.Term);
    }

    [Fact]
    public void Propose_ManyEntriesSlowFollower_BatchedAndInflightBounded_10_2()
    {
        var cluster = new RaftTestCluster(3, o =>
        {
            o.MaxEntriesPerAppend = 2;
            o.MaxInflightAppends = 3;
        });
        cluster.Elect("node1");
        var leader = cluster["node1"];
        cluster.Drop = m => m.To == "node3" || m.From == "node3";
        cluster.Sent.Clear();

        for (var i = 0; i < 20; i++)
        {
            Assert.True(leader.Propose(RaftTestCluster.Command($"c{i}")).IsAccepted);
        }

        cluster.Stabilize();

        var toNode3 = cluster.Sent.Where(m => m.To == "node3" && m.Type == MessageType.Append).ToList();
        Assert.Equal(3, toNode3.Count);
        Assert.All(toNode3, m => Assert.Equal(2, m.Entries.Count));
        Assert.Equal(3, leader.Status.Progress["node3"].Inflight);
        Assert.All(cluster.Sent.Where(m => m.Type == MessageType.Append), m => Assert.True(m.Entries.Count <= 2));
        // node2 answered, so everything committed without node3.
        Assert.Equal(21, leader.Status.Commit);
    }

    [Fact]
    public void ReportUnreachable_ReplicatingPeer_BackToProbeAndResends()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        var leader = cluster["node1"];
        cluster.Drop = m => m.To == "node3" && m.Type == MessageType.Append;
        cluster.Propose("node1", "a");
        Assert.Equal(ProgressState.Replicate, leader.Status.Progress["node3"].State);
        Assert.Equal(1, leader.Status.Progress["node3"].Match);

        leader.ReportUnreachable("node3");
        Assert.Equal(ProgressState.Probe, leader.Status.Progress["node3"].State);
        cluster.Drop = null;
        leader.Propose(RaftTestCluster.Command("b"));
        cluster.Stabilize();

        // The probe restarts right after the last acknowledged index, so "a" is resent with "b".
        Assert.Equal(["a", "b"], RaftTestCluster.Commands(cluster.Applied["node3"]));
    }

    [Fact]
    public void Propose_FollowerRejoins_CatchesUpThroughProbe_5_3()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        for (var i = 0; i < 10; i++)
        {
            cluster.Propose("node1", $"c{i}");
        }

        cluster.HealAll();
        cluster.TickAll(3);

        Assert.Equal(11, cluster["node3"].Status.Commit);
        Assert.Equal(10, RaftTestCluster.Commands(cluster.Applied["node3"]).Count);
        Assert.Equal(ProgressState.Replicate, cluster["node1"].Status.Progress["node3"].State);
    }

    [Fact]
    public void Compact_LaggingFollower_ReceivesSnapshotAndCatchesUp_7()
    {
        // Paper §7: entries the follower needs are compacted, so the leader sends its snapshot instead.
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        for (var i = 0; i < 10; i++)
        {
            cluster.Propose("node1", $"c{i}");
        }

        var leader = cluster["node1"];
        leader.Compact(8, [42]);
        Assert.Equal(8, leader.Status.SnapshotIndex);
        Assert.Equal(3, leader.Status.EntriesInMemory);

        cluster.HealAll();
        cluster.Drop = m =>
        {
            if (m.Type == MessageType.InstallSnapshot)
            {
                Assert.Equal(8, m.Snapshot!.Metadata.Index);
            }

            return false;
        };
        cluster.TickAll(1);
        var follower = cluster["node3"];
        Assert.Equal(8, follower.Status.SnapshotIndex);
        Assert.Contains(cluster.Sent, m => m.Type == MessageType.InstallSnapshot && m.To == "node3");
        cluster.TickAll(3);

        Assert.Equal(11, follower.Status.Commit);
        Assert.Equal(11, follower.Status.Applied);
        // After the snapshot only the entries past it are applied one by one.
        Assert.Equal(["c7", "c8", "c9"], RaftTestCluster.Commands(cluster.Applied["node3"].Where(e => e.Index > 8)));
    }

    [Fact]
    public void Step_InstallSnapshot_ReadyCarriesSnapshotToPersist_7()
    {
        var node = new RaftNode(RaftTestCluster.Options("node2", ["node1", "node2", "node3"]), null, new Random(3));
        var snapshot = new Snapshot(new SnapshotMetadata(5, 2, ["node1", "node2", "node3"]), [7, 7]);

        node.Step(new Message { Type = MessageType.InstallSnapshot, From = "node1", To = "node2", Term = 2, Index = 5, LogTerm = 2, Snapshot = snapshot });

        var ready = node.GetReady();
        Assert.Same(snapshot, ready.SnapshotToPersist);
        Assert.Empty(ready.CommittedEntries);
        Assert.Equal(5, ready.HardState!.Value.Commit);
        var reply = Assert.Single(ready.Messages);
        Assert.Equal((MessageType.AppendResponse, 5L, false), (reply.Type, reply.Index, reply.Reject));
        node.Advance(ready);
        Assert.Equal(5, node.Status.Applied);
        Assert.False(node.HasReady());
    }

    [Fact]
    public void Compact_SnapshotLost_ResentAfterElectionTimeout_7()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        for (var i = 0; i < 5; i++)
        {
            cluster.Propose("node1", $"c{i}");
        }

        cluster["node1"].Compact(5, [1]);
        cluster.HealAll();
        var dropSnapshots = true;
        cluster.Drop = m => dropSnapshots && m.Type == MessageType.InstallSnapshot;
        cluster.TickAll(3);
        Assert.Equal(ProgressState.Snapshot, cluster["node1"].Status.Progress["node3"].State);
        Assert.Equal(0, cluster["node3"].Status.SnapshotIndex);

        dropSnapshots = false;
        cluster.TickAll(12);

        Assert.Equal(5, cluster["node3"].Status.SnapshotIndex);
        Assert.Equal(6, cluster["node3"].Status.Commit);
        Assert.Equal(ProgressState.Replicate, cluster["node1"].Status.Progress["node3"].State);
    }

    [Fact]
    public void ReportSnapshot_Delivered_LeaderProbesRightAfterTheSnapshotAndSendsItOnce_7()
    {
        // The transport streamed the whole snapshot; the follower installs it later (a big one takes a while).
        var (cluster, held) = LeaderWithSnapshotInFlight();
        cluster["node1"].ReportSnapshot("node3", 5, delivered: true);
        Assert.Equal(ProgressState.Probe, cluster["node1"].Status.Progress["node3"].State);
        Assert.Equal(6, cluster["node1"].Status.Progress["node3"].Next);

        cluster["node3"].Step(Assert.Single(held));
        cluster.Stabilize();
        cluster.TickAll(12);

        Assert.Equal(6, cluster["node3"].Status.Commit);
        Assert.Equal(ProgressState.Replicate, cluster["node1"].Status.Progress["node3"].State);
        Assert.Single(cluster.Sent, m => m.Type == MessageType.InstallSnapshot);
    }

    [Fact]
    public void ReportSnapshot_Failed_LeaderSendsItAgainWithinAHeartbeatNotAnElectionTimeout_7()
    {
        var (cluster, held) = LeaderWithSnapshotInFlight();
        held.Clear(); // the stream broke: it never arrived

        cluster["node1"].ReportSnapshot("node3", 5, delivered: false);
        cluster.TickAll(2); // a heartbeat round: its answer lets the leader probe, and the probe's refusal asks for the snapshot

        Assert.Equal(2, cluster.Sent.Count(m => m.Type == MessageType.InstallSnapshot));
        cluster["node3"].Step(Assert.Single(held));
        cluster.Stabilize();
        Assert.Equal(6, cluster["node3"].Status.Commit);
    }

    [Fact]
    public void ReportSnapshot_ForAnotherSnapshotOrPeer_ChangesNothing()
    {
        var (cluster, _) = LeaderWithSnapshotInFlight();

        cluster["node1"].ReportSnapshot("node3", 4, delivered: true);
        cluster["node1"].ReportSnapshot("node2", 5, delivered: false);

        Assert.Equal(ProgressState.Snapshot, cluster["node1"].Status.Progress["node3"].State);
        Assert.Equal(ProgressState.Replicate, cluster["node1"].Status.Progress["node2"].State);
    }

    /// <summary>node1 leads with entries 1-6 and a snapshot at 5; its InstallSnapshot to node3 is held (in flight), not delivered.</summary>
    private static (RaftTestCluster Cluster, List<Message> Held) LeaderWithSnapshotInFlight()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        for (var i = 0; i < 5; i++)
        {
            cluster.Propose("node1", $"c{i}");
        }

        cluster["node1"].Compact(5, [1]);
        cluster.HealAll();
        var held = new List<Message>();
        cluster.Drop = m =>
        {
            if (m.Type != MessageType.InstallSnapshot)
            {
                return false;
            }

            held.Add(m);
            return true;
        };
        cluster.TickAll(1);
        Assert.Equal(ProgressState.Snapshot, cluster["node1"].Status.Progress["node3"].State);
        return (cluster, held);
    }

    [Fact]
    public void Propose_TooManyUncommitted_Overloaded()
    {
        var cluster = new RaftTestCluster(3, o => o.MaxUncommittedEntries = 3);
        cluster.Elect("node1");
        cluster.Isolate("node1");
        var leader = cluster["node1"];

        Assert.True(leader.Propose([1]).IsAccepted);
        Assert.True(leader.Propose([2]).IsAccepted);
        Assert.True(leader.Propose([3]).IsAccepted);

        Assert.Equal(ProposeStatus.Overloaded, leader.Propose([4]).Status);
    }

    [Fact]
    public void Propose_CommandLargerThanAppendLimit_TooLarge()
    {
        var cluster = new RaftTestCluster(1, o => o.MaxBytesPerAppend = 8);
        cluster.Elect("node1");

        Assert.Equal(ProposeStatus.TooLarge, cluster["node1"].Propose(new byte[9]).Status);
        Assert.True(cluster["node1"].Propose(new byte[8]).IsAccepted);
    }

    [Fact]
    public void Step_DuplicateAppend_LogUnchangedAndAcknowledgedAgain_5_3()
    {
        var node = new RaftNode(RaftTestCluster.Options("node2", ["node1", "node2", "node3"]), null, new Random(3));
        var append = new Message
        {
            Type = MessageType.Append, From = "node1", To = "node2", Term = 1, Index = 0, LogTerm = 0, Commit = 0,
            Entries = [new Entry(1, 1, EntryType.Empty, []), new Entry(2, 1, EntryType.Command, [5])],
        };

        node.Step(append);
        node.Advance(node.GetReady());
        node.Step(append);
        var ready = node.GetReady();

        Assert.Equal(2, node.Status.LastIndex);
        Assert.Empty(ready.EntriesToPersist);
        Assert.Equal(2, Assert.Single(ready.Messages).Index);
    }

    [Fact]
    public void Step_MessageWithoutSenderOrForSomeoneElse_Ignored()
    {
        var node = new RaftNode(RaftTestCluster.Options("node2", ["node1", "node2", "node3"]), null, new Random(3));

        node.Step(new Message { Type = MessageType.Heartbeat, From = "", To = "node2", Term = 9 });
        node.Step(new Message { Type = MessageType.Heartbeat, From = "node1", To = "node3", Term = 9 });

        Assert.Equal(0, node.Term);
        Assert.False(node.HasReady());
    }

    [Fact]
    public void Step_HeartbeatFromLeaderOutsideOwnConfiguration_Followed()
    {
        // A node whose configuration lags (it missed the promotion of node4) must still follow node4 once it leads, or it
        // could never catch up (etcd raft takes such messages too). Strangers are kept out by the transport's cluster key.
        var node = new RaftNode(RaftTestCluster.Options("node2", ["node1", "node2", "node3"]), null, new Random(3));

        node.Step(new Message { Type = MessageType.Heartbeat, From = "node4", To = "node2", Term = 9 });

        Assert.Equal(9, node.Term);
        Assert.Equal("node4", node.LeaderId);
    }

    [Fact]
    public void Compact_BeyondApplied_Throws()
    {
        var cluster = new RaftTestCluster(1);
        cluster.Elect("node1");

        Assert.Throws<ArgumentOutOfRangeException>(() => cluster["node1"].Compact(5, []));
    }

    [Fact]
    public void GetReady_TwiceWithoutAdvance_Throws()
    {
        var node = new RaftNode(RaftTestCluster.Options("node1", ["node1"]), null, new Random(1));
        node.CampaignNow();
        node.GetReady();

        Assert.Throws<InvalidOperationException>(() => node.GetReady());
    }

    [Fact]
    public void GetReady_NewLeader_EntriesAndHardStateBeforeMessages()
    {
        // The host contract: what a Ready asks to persist is what makes its messages safe to send.
        var node = new RaftNode(RaftTestCluster.Options("node1", ["node1", "node2", "node3"]), null, new Random(1));
        node.CampaignNow();
        node.Step(new Message { Type = MessageType.PreVoteResponse, From = "node2", To = "node1", Term = 1 });
        node.Step(new Message { Type = MessageType.VoteResponse, From = "node2", To = "node1", Term = 1 });

        var ready = node.GetReady();

        Assert.Equal(new SoftState(RaftRole.Leader, "node1", 1), ready.SoftState);
        Assert.Equal(new HardState(1, "node1", 0), ready.HardState);
        Assert.Equal(EntryType.Empty, Assert.Single(ready.EntriesToPersist).Type);
        Assert.True(ready.MustSync);
        Assert.Contains(ready.Messages, m => m.Type == MessageType.Append && m.Entries.Count == 1);
    }

    [Fact]
    public void Validate_BadOptions_ThrowsNamingTheSetting()
    {
        Assert.Equal("Voters", Assert.Throws<ArgumentException>(() => new RaftOptions { Id = "a", Voters = ["b"] }.Validate()).ParamName);
        Assert.Equal("HeartbeatTicks", Assert.Throws<ArgumentException>(() => new RaftOptions { Id = "a", Voters = ["a"], HeartbeatTicks = 10 }.Validate()).ParamName);
        Assert.Equal("Voters", Assert.Throws<ArgumentException>(() => new RaftOptions { Id = "a", Voters = ["a", "a"] }.Validate()).ParamName);
        Assert.Equal("Id", Assert.Throws<ArgumentException>(() => new RaftOptions { Voters = ["a"] }.Validate()).ParamName);
        new RaftOptions { Id = "a", Voters = ["a", "b", "c"] }.Validate();
    }
}
