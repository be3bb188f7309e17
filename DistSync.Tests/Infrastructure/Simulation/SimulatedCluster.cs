using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>Cluster-wide steps that every seeded Raft simulation shares: its configuration, its clocks, finding the leader.</summary>
internal static class SimulatedCluster
{
    /// <summary>Options for voters node1..nodeN, with the Raft features and flow-control limits drawn from the seed.</summary>
    public static RaftOptions[] DrawOptions(Random random, int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = $"node{i + 1}";
        }

        var preVote = random.NextDouble() < 0.8;
        var checkQuorum = random.NextDouble() < 0.8;
        var maxEntries = 1 + random.Next(8);
        var maxInflight = 1 + random.Next(8);
        var options = new RaftOptions[count];
        for (var i = 0; i < count; i++)
        {
            options[i] = new RaftOptions
            {
                Id = ids[i],
                Voters = ids,
                ElectionTicks = 10,
                HeartbeatTicks = 2,
                PreVote = preVote,
                CheckQuorum = checkQuorum,
                MaxEntriesPerAppend = maxEntries,
                MaxInflightAppends = maxInflight,
            };
        }

        return options;
    }

    /// <summary>
    /// Options for a node outside the cluster that may be added later: the members' settings, and itself as the only
    /// learner, so it learns the configuration from the leader's log or snapshot.
    /// </summary>
    public static RaftOptions JoiningOptions(RaftOptions member, string id) => new()
    {
        Id = id,
        Voters = [],
        Learners = [id],
        ElectionTicks = member.ElectionTicks,
        HeartbeatTicks = member.HeartbeatTicks,
        PreVote = member.PreVote,
        CheckQuorum = member.CheckQuorum,
        MaxEntriesPerAppend = member.MaxEntriesPerAppend,
        MaxInflightAppends = member.MaxInflightAppends,
    };

    /// <summary>Ticks every running core; during chaos clocks drift and a node sometimes misses a tick.</summary>
    public static void TickAll(Random random, IReadOnlyList<ISimulatedHost> hosts, bool chaos)
    {
        foreach (var host in hosts)
        {
            if (host.Raft is { } raft && (!chaos || random.NextDouble() < 0.95))
            {
                raft.Tick();
            }
        }
    }

    /// <summary>The running leader of the highest term, if any (an old leader may not have heard of its successor yet).</summary>
    public static T? CurrentLeader<T>(IReadOnlyList<T> hosts)
        where T : class, ISimulatedHost
    {
        T? leader = null;
        foreach (var host in hosts)
        {
            if (host.Raft is { Role: RaftRole.Leader } raft && (leader is null || raft.Term > leader.Raft!.Term))
            {
                leader = host;
            }
        }

        return leader;
    }
}
