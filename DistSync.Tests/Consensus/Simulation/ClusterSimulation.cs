using System.Buffers.Binary;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>
/// A deterministic cluster run driven by one seed: an in-memory network that drops, delays, duplicates and
/// reorders messages, partitions and heals, crashes and restarts nodes from what they persisted. Invariants are
/// checked after every tick; a violation throws <see cref="SimulationFailure"/> naming the seed and the tick.
/// </summary>
internal sealed partial class ClusterSimulation
{
    private readonly int _seed;
    private readonly SimulationSettings _settings;
    private readonly Random _random;
    private readonly SimulatedNode[] _nodes;
    private readonly SimulatedNetwork _network;
    private long _tick;
    private long _nextReadId;
    private long _nextCommand = 1;

    private readonly bool _throughCodec;

    /// <param name="throughCodec">Encode and decode every message, as the HTTP transport does.</param>
    public ClusterSimulation(int seed, SimulationSettings? settings = null, bool throughCodec = false)
    {
        _seed = seed;
        _throughCodec = throughCodec;
        _random = new Random(seed);
        _settings = settings ?? RandomSettings(_random);
        var count = _random.Next(2) == 0 ? 3 : 5;
        var options = SimulatedCluster.DrawOptions(_random, count);
        _nodes = new SimulatedNode[count];
        for (var i = 0; i < count; i++)
        {
            _nodes[i] = new SimulatedNode(options[i].Id, options[i]);
            _nodes[i].Start(new Random(_random.Next()));
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
        MaxDelayTicks = 1 + random.Next(6),
        DropRate = random.NextDouble() * 0.2,
        DuplicateRate = random.NextDouble() * 0.05,
        CrashRate = random.NextDouble() * 0.01,
        PartitionRate = random.NextDouble() * 0.02,
        CompactEvery = 5 + random.Next(50),
    };

    public long CommittedCommands { get; private set; }

    public int Crashes { get; private set; }

    public int SnapshotsInstalled { get; private set; }

    public int ReadsServed { get; private set; }

    public int Leaders => _leaderOfTerm.Count;

    public long Ticks => _tick;

    /// <summary>Runs the chaos phase, heals everything and waits for liveness. Throws on any violation.</summary>
    public void Run()
    {
        for (var i = 0; i < _settings.ChaosTicks; i++)
        {
            InjectFaults();
            Step(chaos: true);
        }

        Heal();
        var liveness = new LivenessMarker(_tick, _settings.LivenessBoundTicks);
        while (true)
        {
            if (liveness.Expired(_tick))
            {
                Fail($"liveness: no new proposal committed on every node within {_settings.LivenessBoundTicks} ticks after healing; {DescribeNodes()}");
            }

            liveness.MaybePropose(_tick, TryProposeMarker);
            Step(chaos: false);
            liveness.AfterStep(_tick, MarkerStillPossible);
            var markerIndex = liveness.MarkerIndex;
            if (markerIndex > 0 && Array.TrueForAll(_nodes, n => n.AppliedIndex >= markerIndex))
            {
                return;
            }
        }
    }

    private void Step(bool chaos)
    {
        _tick++;
        if (chaos)
        {
            if (_random.NextDouble() < _settings.ProposeRate)
            {
                ProposeToRandomNode();
            }

            if (_random.NextDouble() < _settings.ReadRate)
            {
                ReadFromRandomNode();
            }

            if (_random.NextDouble() < _settings.TransferRate)
            {
                TransferFromLeader();
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
        }

        CheckInvariants();
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

    /// <summary>How often a leader dies between sending its appends and writing them.</summary>
    private const double LeaderCrashBeforePersistRate = 0.01;

    private void Send(IReadOnlyList<Message> messages, bool chaos)
    {
        foreach (var message in messages)
        {
            // Through the codec when asked, as the HTTP transport would carry it.
            _network.Send(_throughCodec ? MessageCodec.Decode(MessageCodec.Encode(message)) : message, _tick, chaos);
        }
    }

    /// <summary>
    /// As the host does: a Ready's writes go to the node's simulated WAL writer, finished at some later step by
    /// <see cref="FinishWrites"/>; a leader's appends go at once (thesis §10.2.1), and sometimes the leader crashes
    /// right then, losing what it had not written.
    /// </summary>
    private void HandleReady(SimulatedNode node, bool chaos)
    {
        // Bounded: a Ready rarely leads to another within the same tick.
        for (var round = 0; round < 8 && node.Raft is { } raft && raft.HasReady(); round++)
        {
            var ready = raft.GetReady();
            var persisted = false;
            if (ready.SnapshotToPersist is not null)
            {
                node.Writer.WriteDirectly(ready, node.Storage, raft, messages => Send(messages, chaos));
                persisted = true;
            }
            else
            {
                Send(node.Writer.Hand(ready, raft.Role, out var leaderSentFirst), chaos);
                if (chaos && leaderSentFirst && _random.NextDouble() < LeaderCrashBeforePersistRate)
                {
                    node.Crash();
                    Crashes++;
                    return;
                }
            }

            if (ready.SnapshotToPersist is { } snapshot)
            {
                node.RestoreFrom(snapshot);
                SnapshotsInstalled++;
                CheckRestoredState(node, snapshot);
            }

            foreach (var entry in ready.CommittedEntries)
            {
                node.Apply(entry);
                RecordApplied(node, entry);
            }

            foreach (var read in ready.ReadStates)
            {
                CheckRead(node, read);
            }

            raft.Advance(ready, persisted);
            if (node.AppliedIndex - raft.Log.SnapshotIndex >= _settings.CompactEvery)
            {
                FinishWrites(node, chaos, all: true);
                raft.Compact(node.AppliedIndex, node.EncodeState());
                node.Storage.SaveSnapshot(raft.Log.Snapshot!);
            }
        }
    }

    /// <summary>The WAL writer finishes some (or all) of what is queued, in order.</summary>
    private void FinishWrites(SimulatedNode node, bool chaos, bool all) =>
        node.Writer.Finish(all ? node.Writer.Queued : _random.Next(node.Writer.Queued + 1), node.Storage, node.Raft, messages => Send(messages, chaos));

    private void ProposeToRandomNode()
    {
        var node = _nodes[_random.Next(_nodes.Length)];
        if (node.Raft is { } raft)
        {
            raft.Propose(NewCommand());
        }
    }

    private byte[] NewCommand()
    {
        var command = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(command, _nextCommand++);
        return command;
    }

    private long TryProposeMarker()
    {
        foreach (var node in _nodes)
        {
            if (node.Raft is { Role: RaftRole.Leader } raft)
            {
                var command = NewCommand();
                var result = raft.Propose(command);
                _markerKey = _nextCommand - 1;
                return result.IsAccepted ? result.Index : 0;
            }
        }

        return 0;
    }

    private SimulatedNode? CurrentLeader() => SimulatedCluster.CurrentLeader(_nodes);

    private void TransferFromLeader()
    {
        foreach (var node in _nodes)
        {
            if (node.Raft is { Role: RaftRole.Leader } raft)
            {
                raft.TransferLeadership(_nodes[_random.Next(_nodes.Length)].Id);
                return;
            }
        }
    }

    private void ReadFromRandomNode()
    {
        var node = _nodes[_random.Next(_nodes.Length)];
        if (node.Raft is { } raft)
        {
            var requestId = _nextReadId++;
            _readFloor[(node.Id, requestId)] = _maxAppliedAnywhere;
            raft.ReadIndex(requestId);
        }
    }

    private string DescribeNodes()
    {
        var parts = new List<string>();
        foreach (var node in _nodes)
        {
            if (node.Raft is not { } raft)
            {
                parts.Add($"{node.Id} down");
                continue;
            }

            var status = raft.Status;
            var progress = string.Join(",", status.Progress.Select(p => $"{p.Key}:{p.Value.Match}/{p.Value.Next}/{p.Value.State}/{p.Value.Inflight}"));
            parts.Add($"{node.Id} {status.Role} t{status.Term} lead={status.LeaderId} vote={status.VotedFor} commit={status.Commit} applied={node.AppliedIndex} last={status.LastIndex}/{raft.Log.LastTerm} snap={status.SnapshotIndex} [{progress}]");
        }

        return string.Join("; ", parts);
    }

    private void Fail(string invariant) =>
        throw new SimulationFailure($"seed {_seed}: {invariant} (tick {_tick}). Replay with DISTSYNC_SIM_SEED={_seed}.");
}
