using DistSync.Node.Locks;
using DistSync.Raft;
using DistSync.Tests.Consensus.Simulation;
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
internal sealed partial class LockSimulation
{
    /// <summary>The simulated clock's start (Unix ms) and its step: one Raft tick is 10 ms.</summary>
    public const long StartMs = 1_700_000_000_000;

    public const long MsPerTick = 10;

    private const int NodeCount = 3;

    private readonly int _seed;
    private readonly SimulationSettings _settings;
    private readonly Random _random;
    private readonly LockSimNode[] _nodes;
    private readonly Dictionary<string, LockSimNode> _byId = new(StringComparer.Ordinal);
    private readonly SimulatedNetwork _network;
    private long _tick;

    public LockSimulation(int seed, SimulationSettings? settings = null)
    {
        _seed = seed;
        _random = new Random(seed);
        _settings = settings ?? RandomSettings(_random);
        var options = SimulatedCluster.DrawOptions(_random, NodeCount);
        _nodes = new LockSimNode[NodeCount];
        for (var i = 0; i < NodeCount; i++)
        {
            _nodes[i] = new LockSimNode(options[i].Id, options[i], RandomDrift(_random));
            _byId[options[i].Id] = _nodes[i];
            _nodes[i].Start(new Random(_random.Next()));
        }

        _clients = new LockSimClient[ClientCount];
        for (var i = 0; i < ClientCount; i++)
        {
            _clients[i] = new LockSimClient($"client{i + 1}", RandomDrift(_random), usesSession: i < SessionClientCount);
        }

        _network = new SimulatedNetwork(
            _random,
            _nodes,
            _settings.MaxDelayTicks,
            _settings.DropRate,
            _settings.DuplicateRate,
            _settings.PartitionRate,
            _settings.HealRate);
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
    public long NowMs => StartMs + (_tick * MsPerTick);

    public long Ticks => _tick;

    public int Crashes { get; private set; }

    public int SnapshotsInstalled { get; private set; }

    public int Leaders => _leaderOfTerm.Count;

    /// <summary>Runs the chaos phase, heals everything, lets the cluster settle and checks the final tables.</summary>
    public void Run()
    {
        for (var i = 0; i < _settings.ChaosTicks; i++)
        {
            InjectFaults();
            Step(chaos: true);
        }

        Heal();
        Settle();
        CheckFinalState();
    }

    private void Step(bool chaos)
    {
        _tick++;
        if (chaos)
        {
            ClientsAct();
            ProposeExpiries();
            if (_random.NextDouble() < _settings.TransferRate && CurrentLeader() is { Raft: { } leader })
            {
                leader.TransferLeadership(_nodes[_random.Next(NodeCount)].Id);
            }
        }

        _network.DeliverDue(_tick);
        SimulatedCluster.TickAll(_random, _nodes, chaos);
        foreach (var node in _nodes)
        {
            if (node.IsUp)
            {
                FinishWrites(node, chaos, all: !chaos);
            }

            HandleReady(node, chaos);
            node.FollowRole(NowMs);
        }

        CheckInvariants();
    }

    /// <summary>
    /// After healing: no new client requests or expiries; a marker command must commit on every node within the
    /// liveness bound, then the nodes run until all have applied the same index.
    /// </summary>
    private void Settle()
    {
        var liveness = new LivenessMarker(_tick, _settings.LivenessBoundTicks);
        while (true)
        {
            if (liveness.Expired(_tick))
            {
                Fail($"liveness: the cluster did not settle within {_settings.LivenessBoundTicks} ticks after healing; {DescribeNodes()}");
            }

            liveness.MaybePropose(_tick, TryProposeMarker);
            Step(chaos: false);
            liveness.AfterStep(_tick, MarkerStillPossible);
            var markerIndex = liveness.MarkerIndex;
            var applied = _nodes[0].AppliedIndex;
            if (markerIndex > 0 && applied >= markerIndex && Array.TrueForAll(_nodes, n => n.AppliedIndex == applied))
            {
                return;
            }
        }
    }

    private void InjectFaults()
    {
        _network.InjectPartition(CurrentLeader());
        Crashes += SimulatedCrashes.Inject(_random, _nodes, CurrentLeader(), _settings.CrashRate, _settings.RestartRate);
        _network.MaybeChangeDropRate();
    }

    private void Heal()
    {
        _network.Heal();
        SimulatedCrashes.RestartAll(_random, _nodes);
    }

    private void HandleReady(LockSimNode node, bool chaos)
    {
        // Bounded: a Ready rarely leads to another within the same tick.
        for (var round = 0; round < 8 && node.Raft is { } raft && raft.HasReady(); round++)
        {
            var ready = raft.GetReady();
            node.Logged(ready);
            var persisted = false;
            if (ready.SnapshotToPersist is not null)
            {
                node.Writer.WriteDirectly(ready, node.Storage, raft, messages => Send(messages, chaos));
                persisted = true;
            }
            else
            {
                Send(node.Writer.Hand(ready, raft.Role, out _), chaos);
            }

            if (ready.SnapshotToPersist is { } snapshot)
            {
                node.RestoreFrom(snapshot);
                SnapshotsInstalled++;
                CheckRestoredState(node, snapshot);
            }

            foreach (var entry in ready.CommittedEntries)
            {
                var outcome = node.Apply(entry);
                OnApplied(node, entry, outcome);
            }

            raft.Advance(ready, persisted);
            if (node.AppliedIndex - raft.Log.SnapshotIndex >= _settings.CompactEvery)
            {
                FinishWrites(node, chaos, all: true);
                raft.Compact(node.AppliedIndex, node.Snapshot());
                node.Storage.SaveSnapshot(raft.Log.Snapshot!);
            }

            if (raft.Role == RaftRole.Leader)
            {
                CheckElectionSafety(node, raft);
            }
        }
    }

    /// <summary>The node's WAL writer (as the host runs it) finishes some or all of what is queued, in order.</summary>
    private void FinishWrites(LockSimNode node, bool chaos, bool all) =>
        node.Writer.Finish(all ? node.Writer.Queued : _random.Next(node.Writer.Queued + 1), node.Storage, node.Raft, messages => Send(messages, chaos));

    private void Send(IReadOnlyList<Message> messages, bool chaos)
    {
        foreach (var message in messages)
        {
            _network.Send(message, _tick, chaos);
        }
    }

    private LockSimNode? CurrentLeader() => SimulatedCluster.CurrentLeader(_nodes);

    private string DescribeNodes() => string.Join("; ", _nodes.Select(n => n.Raft is { } raft
        ? $"{n.Id} {raft.Role} t{raft.Term} commit={raft.Log.Committed} applied={n.AppliedIndex} last={raft.Log.LastIndex}"
        : $"{n.Id} down"));

    private void Fail(string invariant) =>
        throw new SimulationFailure($"seed {_seed}: {invariant} (tick {_tick}). Replay with DISTSYNC_LOCKSIM_SEED={_seed}.");
}
