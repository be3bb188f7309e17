using System.Buffers.Binary;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>
/// A deterministic cluster run driven by one seed: an in-memory network that drops, delays, duplicates and
/// reorders messages, partitions and heals, crashes and restarts nodes from what they persisted, while an operator adds
/// a spare node as a learner, promotes it once caught up, and removes members (the leader too) and adds them back.
/// Invariants are checked after every tick; a violation throws <see cref="SimulationFailure"/> naming the seed and the tick.
/// </summary>
internal sealed partial class ClusterSimulation : RaftSimulation<SimulatedNode>
{
    private readonly bool _throughCodec;
    private long _nextReadId;
    private long _nextCommand = 1;

    /// <param name="throughCodec">Encode and decode every message, as the HTTP transport does.</param>
    public ClusterSimulation(int seed, SimulationSettings? settings = null, bool throughCodec = false)
        : base(seed, "DISTSYNC_SIM_SEED", settings, RandomSettings, random => random.Next(2) == 0 ? 3 : 5, (_, options) => new SimulatedNode(options.Id, options),
            spareNodes: 1)
    {
        _throughCodec = throughCodec;
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
        MembershipRate = random.NextDouble() * 0.05,
    };

    public long CommittedCommands { get; private set; }

    public int ReadsServed { get; private set; }

    public int Leaders => _leaderOfTerm.Count;

    /// <summary>How often a leader dies between sending its appends and writing them.</summary>
    protected override double LeaderCrashBeforePersistRate => 0.01;

    /// <summary>
    /// Runs the chaos phase, heals everything and waits for liveness, then keeps the healthy cluster running a while to
    /// check that nodes removed from it do not disturb it. Throws on any violation.
    /// </summary>
    public void Run()
    {
        RunChaosThenSettle("no new proposal committed on every member");
        CheckHealthyClusterUndisturbed();
    }

    /// <summary>Every member of the leader's configuration applied the marker; removed and spare nodes are not waited for.</summary>
    protected override bool Settled(long markerIndex) =>
        CurrentLeader()?.Raft is { } leader
        && Nodes.Where(n => leader.Configuration.IsMember(n.Id)).All(n => n.AppliedIndex >= markerIndex);

    protected override void ActDuringChaos()
    {
        if (Random.NextDouble() < Settings.ProposeRate)
        {
            ProposeToRandomNode();
        }

        if (Random.NextDouble() < Settings.ReadRate)
        {
            ReadFromRandomNode();
        }

        if (Random.NextDouble() < Settings.TransferRate)
        {
            TransferFromLeader();
        }

        if (Settings.MembershipRate > 0 && Random.NextDouble() < Settings.MembershipRate)
        {
            ChangeMembership();
        }
    }

    protected override Message OnTheWire(Message message) =>
        _throughCodec ? MessageCodec.Decode(MessageCodec.Encode(message)) : message;

    protected override void ApplyCommitted(SimulatedNode node, Entry entry)
    {
        node.Apply(entry);
        RecordApplied(node, entry);
        if (entry.Type == EntryType.ConfigChange)
        {
            OnConfigChangeApplied(node, entry);
        }
    }

    protected override void AfterApplying(SimulatedNode node, Ready ready)
    {
        foreach (var read in ready.ReadStates)
        {
            CheckRead(node, read);
        }
    }

    private void ProposeToRandomNode()
    {
        var node = Nodes[Random.Next(Nodes.Count)];
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

    protected override long TryProposeMarker()
    {
        foreach (var node in Nodes)
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

    private void TransferFromLeader()
    {
        foreach (var node in Nodes)
        {
            if (node.Raft is { Role: RaftRole.Leader } raft)
            {
                raft.TransferLeadership(Nodes[Random.Next(Nodes.Count)].Id);
                return;
            }
        }
    }

    private void ReadFromRandomNode()
    {
        var node = Nodes[Random.Next(Nodes.Count)];
        if (node.Raft is { } raft)
        {
            var requestId = _nextReadId++;
            _readFloor[(node.Id, requestId)] = _maxAppliedAnywhere;
            raft.ReadIndex(requestId);
        }
    }

    protected override string DescribeNodes()
    {
        var parts = new List<string>();
        foreach (var node in Nodes)
        {
            if (node.Raft is not { } raft)
            {
                parts.Add($"{node.Id} down");
                continue;
            }

            var status = raft.Status;
            var progress = string.Join(",", status.Progress.Select(p => $"{p.Key}:{p.Value.Match}/{p.Value.Next}/{p.Value.State}/{p.Value.Inflight}"));
            parts.Add($"{node.Id} {status.Role} t{status.Term} lead={status.LeaderId} vote={status.VotedFor} commit={status.Commit} applied={node.AppliedIndex} last={status.LastIndex}/{raft.Log.LastTerm} snap={status.SnapshotIndex} config@{raft.ConfigurationIndex}={status.Configuration} [{progress}]");
        }

        return string.Join("; ", parts);
    }
}
