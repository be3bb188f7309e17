using DistSync.Raft;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>
/// Membership changes under the faults (thesis §4.1, §4.2), and what they must not break: beyond Figure 3's properties
/// (checked for every node ever in the cluster), a node leads only while it is a voter of the configuration it applied,
/// a removed node never leads the cluster that went on without it, and its campaigns leave a healthy cluster's term alone.
/// </summary>
internal sealed partial class ClusterSimulation
{
    /// <summary>
    /// After a leader of <paramref name="Term"/> applied the removal of <paramref name="Removed"/>, it appends from
    /// <paramref name="Index"/> on without sending to it. Once the entry there of that term is committed, a majority of the
    /// new configuration holds a log more up to date than the removed node's, which then can never win an election.
    /// </summary>
    private readonly record struct RemovalFence(string Removed, long Index, long Term);

    private readonly List<RemovalFence> _fences = [];

    public int LearnersAdded { get; private set; }

    public int Promotions { get; private set; }

    public int Removals { get; private set; }

    public int LeaderRemovals { get; private set; }

    /// <summary>Removed nodes that had not applied their removal when the healthy cluster was watched (they campaign).</summary>
    public int StrandedRemovedNodes { get; private set; }

    /// <summary>How many ticks of the healthy cluster <see cref="CheckHealthyClusterUndisturbed"/> watches.</summary>
    private const int QuietTicks = 300;

    /// <summary>
    /// The operator's move, as the host's API would make it: add a node outside the configuration as a learner, promote a
    /// learner (refused while it lags), or remove a member, the leader a quarter of the time. Refusals are expected.
    /// </summary>
    private void ChangeMembership()
    {
        if (CurrentLeader() is not { Raft: { } leader } leaderNode)
        {
            return;
        }

        var config = leader.Configuration;
        var outside = Nodes.Where(n => !config.IsMember(n.Id)).ToList();
        ConfigChange change;
        if (config.Learners.Count > 0 && Random.Next(3) != 0)
        {
            change = ConfigChange.Promote(config.Learners[Random.Next(config.Learners.Count)]);
        }
        else if (outside.Count > 0 && Random.Next(2) == 0)
        {
            change = ConfigChange.AddLearner(outside[Random.Next(outside.Count)].Id, [1]);
        }
        else if (config.Voters.Count >= 3 && Random.Next(4) == 0)
        {
            change = ConfigChange.Remove(leaderNode.Id);
        }
        else
        {
            // Keep at least two voters, so the cluster still tolerates the run's faults between changes.
            var removable = config.Voters.Count >= 3 ? [.. config.Voters, .. config.Learners] : config.Learners;
            if (removable.Count == 0)
            {
                return;
            }

            change = ConfigChange.Remove(removable[Random.Next(removable.Count)]);
        }

        var result = leader.ProposeConfigChange(change);
        if (result.Status == ProposeStatus.ConfigChangeRefused && result.Refusal is ConfigChangeRefusal.AlreadyMember
            or ConfigChangeRefusal.NotLearner or ConfigChangeRefusal.NotMember or ConfigChangeRefusal.LastVoter)
        {
            Fail($"{leaderNode.Id} refused {change.Type} {change.NodeId} as {result.Refusal} in {config}: the operator checked that");
        }
    }

    /// <summary>A node applied a configuration change: note the fence of a removal applied by a leader, and counts.</summary>
    private void OnConfigChangeApplied(SimulatedNode node, Entry entry)
    {
        var change = ConfigChange.Decode(entry.Data, out var after);
        var raft = node.Raft!;
        if (entry.Index > _configChangesCounted)
        {
            _configChangesCounted = entry.Index;
            switch (change.Type)
            {
                case ConfigChangeType.AddLearner:
                    LearnersAdded++;
                    break;
                case ConfigChangeType.Promote:
                    Promotions++;
                    break;
                default:
                    Removals++;
                    LeaderRemovals += raft.Role == RaftRole.Leader && change.NodeId == node.Id ? 1 : 0;
                    break;
            }
        }

        if (change.Type == ConfigChangeType.AddLearner)
        {
            // Added back: it may lead again once promoted.
            _fences.RemoveAll(f => f.Removed == change.NodeId && f.Index <= entry.Index);
        }
        else if (change.Type == ConfigChangeType.Remove && raft.Role == RaftRole.Leader && change.NodeId != node.Id && !after.IsMember(change.NodeId))
        {
            // The core switches when this Ready is advanced; nothing is appended in between.
            _fences.Add(new RemovalFence(change.NodeId, raft.Log.LastIndex + 1, raft.Term));
        }
    }

    private long _configChangesCounted;

    /// <summary>Checked for every leader after every tick.</summary>
    private void CheckMembership(SimulatedNode node, RaftNode raft)
    {
        if (!raft.Configuration.IsVoter(node.Id))
        {
            Fail($"membership: {node.Id} leads term {raft.Term} but is not a voter of its own configuration {raft.Configuration}");
        }

        foreach (var fence in _fences)
        {
            if (fence.Removed == node.Id && raft.Term > fence.Term && fence.Index <= _history.Count && _history[(int)fence.Index - 1].Term == fence.Term)
            {
                Fail($"membership: {node.Id} leads term {raft.Term} after its removal was applied by the leader of term {fence.Term} and the cluster committed entry {fence.Index} without it");
            }
        }
    }

    /// <summary>
    /// Thesis §4.2.3: once the cluster is healthy, a removed node that missed its removal campaigns in vain, and with
    /// pre-vote or check-quorum (the leader lease) on, its campaigns never make a member's term rise: the leader stays.
    /// </summary>
    private void CheckHealthyClusterUndisturbed()
    {
        var options = Nodes[0].Options;
        if (!options.PreVote && !options.CheckQuorum || CurrentLeader() is not { Raft: { } leader } leaderNode)
        {
            return;
        }

        var term = leader.Term;
        var members = Nodes.Where(n => leader.Configuration.IsMember(n.Id)).ToList();
        StrandedRemovedNodes += Nodes.Count(n => !leader.Configuration.IsMember(n.Id) && n.Raft is { } r && r.Configuration.IsVoter(n.Id));
        RunHealthy(QuietTicks);
        if (leaderNode.Raft is not { Role: RaftRole.Leader } still || still.Term != term)
        {
            Fail($"disruption: the healthy cluster's leader {leaderNode.Id} of term {term} lost its place; {DescribeNodes()}");
        }

        foreach (var member in members)
        {
            if (member.Raft is { } raft && raft.Term != term)
            {
                Fail($"disruption: member {member.Id} moved from term {term} to {raft.Term} in a healthy cluster; {DescribeNodes()}");
            }
        }
    }
}
