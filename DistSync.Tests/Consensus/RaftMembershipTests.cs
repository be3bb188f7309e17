using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>
/// Membership changes one server at a time with learners (Raft thesis §4.1, §4.2.1, §4.2.3), applied when their entry is
/// applied, as etcd raft does.
/// </summary>
public sealed class RaftMembershipTests
{
    private static readonly string[] FourVoters = ["node1", "node2", "node3", "node4"];

    /// <summary>node1 leads node1..node3; node4 has joined as a learner and caught up.</summary>
    private static RaftTestCluster ThreeVotersAndLearner(Action<RaftOptions>? configure = null)
    {
        var cluster = new RaftTestCluster(3, configure);
        cluster.Elect("node1");
        cluster.AddNode("node4", configure);
        Assert.True(cluster.Change("node1", ConfigChange.AddLearner("node4", "http://node4:8080"u8.ToArray())).IsAccepted);
        cluster.TickAll(2);
        return cluster;
    }

    private static RaftOptions Founder(string id) => RaftTestCluster.Options(id, ["node1", "node2", "node3"]);

    [Fact]
    public void AddLearner_JoiningNode_ReceivesTheLogAndLearnsTheConfiguration_4_2_1()
    {
        var cluster = ThreeVotersAndLearner();
        cluster.Propose("node1", "after");

        var learner = cluster["node4"];
        Assert.Equal(["node1", "node2", "node3"], learner.Configuration.Voters);
        Assert.Equal(["node4"], learner.Configuration.Learners);
        Assert.Equal(cluster["node1"].Status.Commit, learner.Status.Commit);
        Assert.Equal(["after"], RaftTestCluster.Commands(cluster.Applied["node4"]));
        Assert.All(cluster.Ids, id => Assert.True(cluster[id].Configuration.IsLearner("node4")));

        var change = ConfigChange.Decode(cluster.Applied["node4"].Single(e => e.Type == EntryType.ConfigChange).Data);
        Assert.Equal((ConfigChangeType.AddLearner, "node4"), (change.Type, change.NodeId));
        Assert.Equal("http://node4:8080"u8.ToArray(), change.Context);
    }

    [Fact]
    public void ProposeConfigChange_OnFollower_NotLeader()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        var result = cluster["node2"].ProposeConfigChange(ConfigChange.AddLearner("node4"));

        Assert.Equal((ProposeStatus.NotLeader, "node1"), (result.Status, result.LeaderHint));
    }

    [Fact]
    public void ProposeConfigChange_AnotherAppendedNotApplied_RefusedChangePending_4_1()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        var leader = cluster["node1"];

        Assert.True(leader.ProposeConfigChange(ConfigChange.AddLearner("node4")).IsAccepted);
        var second = leader.ProposeConfigChange(ConfigChange.AddLearner("node5"));

        Assert.Equal((ProposeStatus.ConfigChangeRefused, ConfigChangeRefusal.ChangePending), (second.Status, second.Refusal));
        Assert.Contains("not applied yet", second.Reason, StringComparison.Ordinal);

        cluster.Stabilize();
        Assert.True(leader.ProposeConfigChange(ConfigChange.AddLearner("node5")).IsAccepted);
    }

    [Fact]
    public void ProposeConfigChange_CommittedButNotYetApplied_StillPending()
    {
        var cluster = new RaftTestCluster(1);
        cluster.Elect("node1");
        var leader = cluster["node1"];
        Assert.True(leader.ProposeConfigChange(ConfigChange.AddLearner("node2")).IsAccepted);
        leader.Advance(leader.GetReady()); // persisted: the lone voter commits it
        var ready = leader.GetReady();
        Assert.Contains(ready.CommittedEntries, e => e.Type == EntryType.ConfigChange);

        Assert.Equal(ConfigChangeRefusal.ChangePending, leader.ProposeConfigChange(ConfigChange.AddLearner("node3")).Refusal);
        Assert.False(leader.Configuration.IsLearner("node2"));

        leader.Advance(ready);
        Assert.True(leader.Configuration.IsLearner("node2"));
        Assert.True(leader.ProposeConfigChange(ConfigChange.AddLearner("node3")).IsAccepted);
    }

    [Fact]
    public void ProposeConfigChange_NewLeaderBeforeCommittingInTerm_Refused()
    {
        // The single-server bug found after the thesis: a new leader changes the configuration only once an entry of its
        // own term is committed.
        var cluster = new RaftTestCluster(3) { Drop = m => m.Type == MessageType.Append };
        cluster.Elect("node1");
        var leader = cluster["node1"];
        Assert.Equal(RaftRole.Leader, leader.Role);

        var result = leader.ProposeConfigChange(ConfigChange.AddLearner("node4"));

        Assert.Equal((ProposeStatus.ConfigChangeRefused, ConfigChangeRefusal.LeaderNotCommittedInTerm), (result.Status, result.Refusal));

        cluster.Drop = null;
        cluster.TickAll(1);
        Assert.True(leader.ProposeConfigChange(ConfigChange.AddLearner("node4")).IsAccepted);
    }

    [Theory]
    [InlineData("node2")]
    [InlineData("node4")]
    public void AddLearner_AlreadyMember_RefusedAlreadyMember(string id)
    {
        var cluster = ThreeVotersAndLearner();

        var result = cluster["node1"].ProposeConfigChange(ConfigChange.AddLearner(id));

        Assert.Equal((ProposeStatus.ConfigChangeRefused, ConfigChangeRefusal.AlreadyMember), (result.Status, result.Refusal));
        Assert.Contains(id, result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node2")]
    [InlineData("node9")]
    public void Promote_NotALearner_RefusedNotLearner(string id)
    {
        var cluster = ThreeVotersAndLearner();

        Assert.Equal(ConfigChangeRefusal.NotLearner, cluster["node1"].ProposeConfigChange(ConfigChange.Promote(id)).Refusal);
    }

    [Fact]
    public void Promote_LearnerBehindCommitIndex_RefusedLearnerBehind_ThenAcceptedOnceCaughtUp()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.AddNode("node4");
        cluster.Isolate("node4");
        cluster.Change("node1", ConfigChange.AddLearner("node4"));
        cluster.Propose("node1", "x");
        var leader = cluster["node1"];

        var result = leader.ProposeConfigChange(ConfigChange.Promote("node4"));

        Assert.Equal((ProposeStatus.ConfigChangeRefused, ConfigChangeRefusal.LearnerBehind), (result.Status, result.Refusal));
        var progress = leader.Status.Progress["node4"];
        Assert.True(progress.IsLearner);
        Assert.Equal(leader.Status.Commit, progress.Lag);
        Assert.False(leader.Status.Progress["node2"].IsLearner);
        Assert.Equal(0, leader.Status.Progress["node2"].Lag);

        cluster.Rejoin("node4");
        cluster.TickAll(2);
        Assert.Equal(0, leader.Status.Progress["node4"].Lag);
        Assert.True(cluster.Change("node1", ConfigChange.Promote("node4")).IsAccepted);
        Assert.Equal(FourVoters, leader.Configuration.Voters);
    }

    [Fact]
    public void Remove_LastVoter_RefusedLastVoter()
    {
        var cluster = new RaftTestCluster(1);
        cluster.Elect("node1");

        Assert.Equal(ConfigChangeRefusal.LastVoter, cluster["node1"].ProposeConfigChange(ConfigChange.Remove("node1")).Refusal);
    }

    [Fact]
    public void Remove_NotAMember_RefusedNotMember()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        var result = cluster["node1"].ProposeConfigChange(ConfigChange.Remove("node9"));

        Assert.Equal((ProposeStatus.ConfigChangeRefused, ConfigChangeRefusal.NotMember, "node1"), (result.Status, result.Refusal, result.LeaderHint));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    public void ProposeConfigChange_BlankOrOverlongId_RefusedInvalidNodeId(string? id)
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        var leader = cluster["node1"];

        Assert.Equal(ConfigChangeRefusal.InvalidNodeId, leader.ProposeConfigChange(ConfigChange.AddLearner(id ?? new string('n', 256))).Refusal);
        Assert.Equal(ProposeStatus.TooLarge, leader.ProposeConfigChange(ConfigChange.AddLearner("node4", new byte[ConfigChange.MaxContextBytes + 1])).Status);
        Assert.True(leader.ProposeConfigChange(ConfigChange.AddLearner(new string('n', 255))).IsAccepted);
    }

    [Fact]
    public void ProposeConfigChange_DuringLeadershipTransfer_TransferInProgress()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node2");
        cluster["node1"].TransferLeadership("node2");

        Assert.Equal(ProposeStatus.TransferInProgress, cluster["node1"].ProposeConfigChange(ConfigChange.AddLearner("node4")).Status);
    }

    [Fact]
    public void Learner_ElectionTimeouts_NeverCampaigns_4_2_1()
    {
        var cluster = ThreeVotersAndLearner();
        var learner = cluster["node4"];
        var term = learner.Term;
        cluster.Isolate("node4");

        cluster.TickAll(100);

        Assert.Equal((RaftRole.Follower, term), (learner.Role, learner.Term));
        Assert.DoesNotContain(cluster.Sent, m => m.From == "node4" && m.Type is MessageType.PreVote or MessageType.Vote);
    }

    [Fact]
    public void Learner_TimeoutNow_Ignored()
    {
        var cluster = ThreeVotersAndLearner();
        var learner = cluster["node4"];

        learner.Step(new Message { Type = MessageType.TimeoutNow, From = "node1", To = "node4", Term = learner.Term });

        Assert.Equal(RaftRole.Follower, learner.Role);
        Assert.False(cluster["node1"].TransferLeadership("node4"));
    }

    [Fact]
    public void Learner_AcknowledgesAppends_NotCountedForCommit()
    {
        var cluster = ThreeVotersAndLearner();
        var leader = cluster["node1"];
        var commit = leader.Status.Commit;
        cluster.Isolate("node2");
        cluster.Isolate("node3");

        var result = cluster.Propose("node1", "needs a voter");

        Assert.Equal(result.Index, leader.Status.Progress["node4"].Match);
        Assert.Equal(commit, leader.Status.Commit);
    }

    [Fact]
    public void Learner_AcknowledgesHeartbeats_NotCountedForReadIndexOrCheckQuorum()
    {
        var cluster = ThreeVotersAndLearner();
        var leader = cluster["node1"];
        cluster.Isolate("node2");
        cluster.Isolate("node3");

        leader.ReadIndex(7);
        cluster.TickAll(3);
        Assert.Empty(cluster.Reads["node1"]);
        Assert.Contains(cluster.Sent, m => m.From == "node4" && m.Type == MessageType.HeartbeatResponse && m.Context != 0);

        cluster.TickAll(20);
        Assert.Equal(RaftRole.Follower, leader.Role);
    }

    [Fact]
    public void Learner_VoteGranted_NotCounted()
    {
        var options = RaftTestCluster.Options("node1", ["node1", "node2", "node3"]);
        options.Learners = ["node4"];
        options.PreVote = false;
        var node = new RaftNode(options, null, new Random(1));
        node.CampaignNow();
        node.Advance(node.GetReady());

        node.Step(new Message { Type = MessageType.VoteResponse, From = "node4", To = "node1", Term = node.Term });

        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.DoesNotContain(node.GetReady().Messages, m => m.To == "node4");
    }

    [Fact]
    public void Promote_CaughtUpLearner_BecomesVoterKeepingItsProgress()
    {
        var cluster = ThreeVotersAndLearner();
        var leader = cluster["node1"];
        var before = leader.Status.Progress["node4"];
        Assert.Equal(ProgressState.Replicate, before.State);

        var result = leader.ProposeConfigChange(ConfigChange.Promote("node4"));
        Assert.True(result.IsAccepted);
        cluster.Stabilize();

        var after = leader.Status.Progress["node4"];
        Assert.Equal((ProgressState.Replicate, false, result.Index), (after.State, after.IsLearner, after.Match));
        Assert.All(FourVoters, id => Assert.Equal(FourVoters, cluster[id].Configuration.Voters));

        // It now counts: with two of four voters cut off, nothing commits; node4 can lead.
        cluster.Isolate("node2");
        cluster.Isolate("node3");
        var commit = leader.Status.Commit;
        cluster.Propose("node1", "three of four needed");
        Assert.Equal(commit, leader.Status.Commit);
        cluster.HealAll();
        cluster.TickAll(2);
        cluster["node1"].TransferLeadership("node4");
        cluster.Stabilize();
        Assert.Equal(RaftRole.Leader, cluster["node4"].Role);
    }

    [Fact]
    public void Remove_Follower_LeaderStopsSendingToIt_4_1()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");

        Assert.True(cluster.Change("node1", ConfigChange.Remove("node3")).IsAccepted);
        var sent = cluster.Sent.Count;
        cluster.TickAll(30);
        cluster.Propose("node1", "two voters now");

        Assert.DoesNotContain(cluster.Sent.Skip(sent), m => m.To == "node3");
        Assert.False(cluster["node1"].Status.Progress.ContainsKey("node3"));
        Assert.Equal(["node1", "node2"], cluster["node2"].Configuration.Voters);
        Assert.False(cluster["node3"].Configuration.IsMember("node3"));
        Assert.Equal(RaftRole.Leader, cluster["node1"].Role);
        Assert.Equal(RaftRole.Follower, cluster["node3"].Role);
    }

    [Fact]
    public void Remove_Leader_StepsDownOnceAppliedAndHandsOver_4_2_2()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        var leader = cluster["node1"];

        Assert.True(leader.ProposeConfigChange(ConfigChange.Remove("node1")).IsAccepted);
        Assert.Equal(RaftRole.Leader, leader.Role); // until the removal is committed and applied
        cluster.Stabilize();

        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.False(leader.Configuration.IsMember("node1"));
        var next = cluster.Ids.Select(id => cluster[id]).Single(n => n.Role == RaftRole.Leader);
        Assert.Equal("node2", next.Id); // the TimeoutNow went to a caught-up remaining voter
        Assert.Equal(["node2", "node3"], cluster["node3"].Configuration.Voters);

        var term = next.Term;
        var sent = cluster.Sent.Count;
        cluster.TickAll(100);
        Assert.Equal((RaftRole.Leader, term), (next.Role, next.Term));
        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.DoesNotContain(cluster.Sent.Skip(sent), m => m.From == "node1" && m.Type is MessageType.PreVote or MessageType.Vote);
        Assert.True(cluster.Propose("node2", "two voters").IsAccepted);
    }

    [Fact]
    public void Remove_LeaderWithAFollowerDown_CommitsByTheOldQuorumCountingItself()
    {
        // Applied-time: the removal commits by the configuration that includes the leader (node1 and node2 of three).
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");

        var result = cluster.Change("node1", ConfigChange.Remove("node1"));

        Assert.Equal(result.Index, cluster["node2"].Status.Commit);
        Assert.Equal(RaftRole.Follower, cluster["node1"].Role);
        Assert.Equal(["node2", "node3"], cluster["node2"].Configuration.Voters);

        // The remaining pair needs node3; once it is back they elect a leader, never node1.
        cluster.HealAll();
        cluster.TickAll(60);
        Assert.Contains(new[] { "node2", "node3" }, id => cluster[id].Role == RaftRole.Leader);
        Assert.NotEqual(RaftRole.Leader, cluster["node1"].Role);
    }

    [Fact]
    public void RemovedNodeThatMissedItsRemoval_Campaigns_ClusterTermStays_PreVoteAndCheckQuorum_4_2_3()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        cluster.Change("node1", ConfigChange.Remove("node3"));
        cluster.TickAll(30);
        var term = cluster["node1"].Term;

        cluster.HealAll();
        cluster.TickAll(200);

        Assert.Equal((RaftRole.Leader, term), (cluster["node1"].Role, cluster["node1"].Term));
        Assert.Equal(term, cluster["node2"].Term);
        Assert.Contains(cluster.Sent, m => m.From == "node3" && m.Type == MessageType.PreVote);
    }

    [Fact]
    public void RemovedNodeThatMissedItsRemoval_WithoutPreVote_LeaderLeaseKeepsClusterTerm_4_2_3()
    {
        // Thesis §4.2.3: a server that heard from a leader within the minimum election timeout ignores vote requests.
        var cluster = new RaftTestCluster(3, o => o.PreVote = false);
        cluster.Elect("node1");
        cluster.Isolate("node3");
        cluster.Change("node1", ConfigChange.Remove("node3"));
        var term = cluster["node1"].Term;

        cluster.HealAll();
        cluster.TickAll(200);

        Assert.True(cluster["node3"].Term > term, "the removed node campaigns with real terms");
        Assert.Equal((RaftRole.Leader, term), (cluster["node1"].Role, cluster["node1"].Term));
        Assert.Equal(term, cluster["node2"].Term);
    }

    [Fact]
    public void Restart_ConfigurationRebuiltFromCommittedEntries()
    {
        var cluster = ThreeVotersAndLearner();
        cluster.Change("node1", ConfigChange.Promote("node4"));
        cluster.Change("node1", ConfigChange.Remove("node3"));
        string[] expected = ["node1", "node2", "node4"];

        var founder = cluster.Restart("node2", Founder("node2"));
        var joiner = cluster.Restart("node4", new RaftOptions { Id = "node4", Voters = [], Learners = ["node4"] });

        Assert.Equal(expected, founder.Configuration.Voters);
        Assert.Equal(expected, joiner.Configuration.Voters);
        Assert.Empty(joiner.Configuration.Learners);
        Assert.True(founder.ConfigurationIndex > 0);

        // The restarted nodes vote and lead in the new configuration.
        cluster.TickAll(2);
        cluster["node1"].TransferLeadership("node4");
        cluster.Stabilize();
        Assert.Equal(RaftRole.Leader, cluster["node4"].Role);
    }

    [Fact]
    public void Restart_UncommittedChange_NotInEffect()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Isolate("node1");
        cluster["node1"].ProposeConfigChange(ConfigChange.AddLearner("node4"));
        cluster.Stabilize();

        var restarted = cluster.Restart("node1", Founder("node1"));

        Assert.Empty(restarted.Configuration.Learners);
    }

    [Fact]
    public void Compact_SnapshotCarriesConfiguration_NewMemberAndRestartRebuildFromIt_7()
    {
        var cluster = ThreeVotersAndLearner();
        cluster.Change("node1", ConfigChange.Remove("node3"));
        cluster.Propose("node1", "a");
        var leader = cluster["node1"];
        var applied = leader.Status.Applied;

        leader.Compact(applied, [1, 2, 3]);

        var metadata = leader.Log.Snapshot!.Metadata;
        Assert.Equal(["node1", "node2"], metadata.Voters);
        Assert.Equal(["node4"], metadata.Learners);

        // A node joining now gets the snapshot (the log before it is gone) and the configuration with it.
        cluster.AddNode("node5");
        cluster.Change("node1", ConfigChange.AddLearner("node5"));
        cluster.TickAll(2);
        var joined = cluster["node5"];
        Assert.Equal(applied, joined.Log.SnapshotIndex);
        Assert.Equal(["node1", "node2"], joined.Configuration.Voters);
        Assert.Equal(["node4", "node5"], joined.Configuration.Learners);

        var restarted = cluster.Restart("node1", Founder("node1"));
        Assert.Equal(["node4", "node5"], restarted.Configuration.Learners);
        Assert.Equal(["node1", "node2"], restarted.Configuration.Voters);
    }

    [Fact]
    public void Compact_BeforeALaterChange_SnapshotHasTheConfigurationAtItsIndex()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Propose("node1", "a");
        var leader = cluster["node1"];
        var before = leader.Status.Applied;
        cluster.Change("node1", ConfigChange.Remove("node3"));

        leader.Compact(before, [0]);

        Assert.Equal(["node1", "node2", "node3"], leader.Log.Snapshot!.Metadata.Voters);
        Assert.Equal(["node1", "node2"], leader.ConfigurationAt(leader.Status.Applied).Voters);
    }

    [Fact]
    public void ReAdd_RemovedNode_RejoinsAsLearnerWithItsOldLog()
    {
        var cluster = new RaftTestCluster(3);
        cluster.Elect("node1");
        cluster.Change("node1", ConfigChange.Remove("node3"));
        cluster.Propose("node1", "while away");

        cluster.Change("node1", ConfigChange.AddLearner("node3"));
        cluster.TickAll(2);
        Assert.True(cluster.Change("node1", ConfigChange.Promote("node3")).IsAccepted);

        Assert.Equal(["node1", "node2", "node3"], cluster["node3"].Configuration.Voters);
        Assert.Equal(cluster["node1"].Status.Commit, cluster["node3"].Status.Commit);
        Assert.Contains("while away", RaftTestCluster.Commands(cluster.Applied["node3"]));
    }

    [Fact]
    public void Validate_LearnerOptions()
    {
        new RaftOptions { Id = "n4", Voters = [], Learners = ["n4"] }.Validate();
        new RaftOptions { Id = "n4", Voters = ["n1"], Learners = ["n4"] }.Validate();
        Assert.Throws<ArgumentException>(() => new RaftOptions { Id = "n1", Voters = ["n1"], Learners = ["n1"] }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { Id = "n1", Voters = [], Learners = ["n1", "n2"] }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { Id = "n1", Voters = ["n2"], Learners = ["n3"] }.Validate());
    }
}
