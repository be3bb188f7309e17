using DistSync.Node.Locks;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// A deterministic run, driven by one seed, of the real <see cref="LockTable"/> on the real <see cref="RaftNode"/>: three
/// nodes on an in-memory network that drops, delays, duplicates and reorders messages, partitions and heals, and
/// crashes nodes (leaders half the time) that restart from what they persisted. Clients acquire, renew and release
/// through whichever node leads, some through sessions they keep alive, open, close or abandon; the leader proposes
/// <see cref="LockCommand.ExpireDue"/> when a deadline passes on its own leader time. Every node's and client's clock
/// drifts (within 1 % of real time), and leader time stands still between leaders as RaftHost's does.
/// The lock invariants are checked after every tick; a violation throws <see cref="SimulationFailure"/> naming the seed.
/// </summary>
internal sealed partial class LockSimulation : RaftSimulation<LockSimNode>
{
    /// <summary>The simulated clock's start (Unix ms) and its step: one Raft tick is 10 ms.</summary>
    public const long StartMs = 1_700_000_000_000;

    public const long MsPerTick = 10;

    private const int NodeCount = 3;

    private readonly Dictionary<string, LockSimNode> _byId = new(StringComparer.Ordinal);

    public LockSimulation(int seed, SimulationSettings? settings = null)
        : base(seed, "DISTSYNC_LOCKSIM_SEED", settings, RandomSettings, _ => NodeCount, (random, options) => new LockSimNode(options.Id, options, RandomDrift(random)))
    {
        foreach (var node in Nodes)
        {
            _byId[node.Id] = node;
        }

        _clients = new LockSimClient[ClientCount];
        for (var i = 0; i < ClientCount; i++)
        {
            _clients[i] = new LockSimClient($"client{i + 1}", RandomDrift(Random), usesSession: i < SessionClientCount);
        }
    }

    /// <summary>Each seed gets its own fault intensities, from calm to harsh.</summary>
    private static SimulationSettings RandomSettings(Random random) => new()
    {
        ChaosTicks = 600,
        LivenessBoundTicks = 400,
        MaxDelayTicks = 1 + random.Next(5),
        DropRate = random.NextDouble() * 0.15,
        DuplicateRate = random.NextDouble() * 0.05,
        CrashRate = random.NextDouble() * 0.01,
        PartitionRate = random.NextDouble() * 0.02,
        TransferRate = 0.003,
        CompactEvery = 5 + random.Next(40),
    };

    /// <summary>A clock rate within the 1 % of real time the semantics assume; half the time at one of the two extremes.</summary>
    private static double RandomDrift(Random random) => random.Next(4) switch
    {
        0 => 0.99,
        1 => 1.01,
        _ => 0.99 + (random.NextDouble() * 0.02),
    };

    /// <summary>Real time, in milliseconds: what the checker judges by. Nodes and clients each read it through their own drift.</summary>
    public long NowMs => StartMs + (Ticks * MsPerTick);

    public int Leaders => _leaderOfTerm.Count;

    /// <summary>
    /// Runs the chaos phase, heals everything, lets the cluster settle (no new client requests or expiries; a marker
    /// command must commit on every node within the liveness bound, then the nodes run until all have applied the same
    /// index) and checks the final tables.
    /// </summary>
    public void Run()
    {
        RunChaosThenSettle("the cluster did not settle");
        CheckFinalState();
    }

    protected override bool Settled(long markerIndex)
    {
        var applied = Nodes[0].AppliedIndex;
        return applied >= markerIndex && Nodes.All(n => n.AppliedIndex == applied);
    }

    protected override void ActDuringChaos()
    {
        ClientsAct();
        ProposeExpiries();
        if (Random.NextDouble() < Settings.TransferRate && CurrentLeader() is { Raft: { } leader })
        {
            leader.TransferLeadership(Nodes[Random.Next(NodeCount)].Id);
        }
    }

    protected override void ApplyCommitted(LockSimNode node, Entry entry)
    {
        var outcome = node.Apply(entry);
        OnApplied(node, entry, outcome);
    }

    /// <summary>A node notices that it became leader (or stopped leading) once its tick is done, as the host does on a Ready.</summary>
    protected override void AfterNodeStep(LockSimNode node) => node.FollowRole(NowMs);

    protected override void AfterReady(LockSimNode node, RaftNode raft)
    {
        if (raft.Role == RaftRole.Leader)
        {
            CheckElectionSafety(node, raft);
        }
    }

    protected override string DescribeNodes() => string.Join("; ", Nodes.Select(n => n.Raft is { } raft
        ? $"{n.Id} {raft.Role} t{raft.Term} commit={raft.Log.Committed} applied={n.AppliedIndex} last={raft.Log.LastIndex}"
        : $"{n.Id} down"));
}
