using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// The step loop every seeded simulation of a Raft cluster shares. One <see cref="Random"/> drawn from the seed decides
/// everything, in a fixed order, so a seed replays exactly. A tick: chaos actions (<see cref="ActDuringChaos"/>), due
/// messages delivered, every core ticked, WAL writes finished, Readies handled as the host handles them (noted as
/// logged, send, persist, apply, advance, compact), then <see cref="CheckInvariants"/>. <see cref="RunChaosThenSettle"/>
/// runs the chaos phase with partitions, message loss and crashes, heals everything and waits, bounded, for a marker
/// command to commit. A subclass supplies the state machine, what clients do, and what to check.
/// </summary>
internal abstract class RaftSimulation<TNode>
    where TNode : SimulatedRaftHost
{
    private readonly string _seedVariable;
    private readonly SimulatedNetwork _network;

    /// <param name="seed">The run's seed; every random choice comes from it.</param>
    /// <param name="seedVariable">The environment variable that replays one seed, named in every failure.</param>
    /// <param name="settings">The run's knobs, drawn from the seed by <paramref name="drawSettings"/> when null.</param>
    /// <param name="drawNodeCount">How many nodes, drawn after the settings (or a constant).</param>
    /// <param name="createNode">
    /// A node with the given options, not yet started. It may draw from the run's random source (e.g. how fast its clock
    /// runs); its draws come just before its start draws the seed of its election timer.
    /// </param>
    /// <param name="spareNodes">
    /// Nodes started outside the cluster, after the members, each knowing only itself as a learner: a membership change may
    /// add them (none by default, and then nothing is drawn for them).
    /// </param>
    protected RaftSimulation(
        int seed,
        string seedVariable,
        SimulationSettings? settings,
        Func<Random, SimulationSettings> drawSettings,
        Func<Random, int> drawNodeCount,
        Func<Random, RaftOptions, TNode> createNode,
        int spareNodes = 0)
    {
        ArgumentNullException.ThrowIfNull(drawSettings);
        ArgumentNullException.ThrowIfNull(drawNodeCount);
        ArgumentNullException.ThrowIfNull(createNode);
        Seed = seed;
        _seedVariable = seedVariable;
        Random = new Random(seed);
        Settings = settings ?? drawSettings(Random);
        var members = SimulatedCluster.DrawOptions(Random, drawNodeCount(Random));
        var options = new RaftOptions[members.Length + spareNodes];
        members.CopyTo(options, 0);
        for (var i = 0; i < spareNodes; i++)
        {
            options[members.Length + i] = SimulatedCluster.JoiningOptions(members[0], $"node{members.Length + i + 1}");
        }

        var nodes = new TNode[options.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = createNode(Random, options[i]);
            nodes[i].Start(new Random(Random.Next()));
        }

        Nodes = nodes;
        _network = new SimulatedNetwork(
            Random,
            nodes,
            Settings.MaxDelayTicks,
            Settings.DropRate,
            Settings.DuplicateRate,
            Settings.PartitionRate,
            Settings.HealRate);
    }

    /// <summary>The current tick: how far the run has come.</summary>
    public long Ticks { get; private set; }

    public int Crashes { get; private set; }

    public int SnapshotsInstalled { get; private set; }

    protected int Seed { get; }

    protected Random Random { get; }

    protected SimulationSettings Settings { get; }

    protected IReadOnlyList<TNode> Nodes { get; }

    /// <summary>How often a leader dies between sending its appends and writing them (0: never, and nothing is drawn).</summary>
    protected virtual double LeaderCrashBeforePersistRate => 0;

    /// <summary>
    /// The chaos phase (faults every tick), then healing, then ticks without faults until a marker command has committed
    /// and <see cref="Settled"/> holds; a run that does not settle within <see cref="SimulationSettings.LivenessBoundTicks"/> fails.
    /// </summary>
    /// <param name="unsettled">What did not happen, for the failure: "no new proposal committed on every node".</param>
    protected void RunChaosThenSettle(string unsettled)
    {
        for (var i = 0; i < Settings.ChaosTicks; i++)
        {
            InjectFaults();
            Step(chaos: true);
        }

        Heal();
        var liveness = new LivenessMarker(Ticks, Settings.LivenessBoundTicks);
        while (true)
        {
            if (liveness.Expired(Ticks))
            {
                Fail($"liveness: {unsettled} within {Settings.LivenessBoundTicks} ticks after healing; {DescribeNodes()}");
            }

            liveness.MaybePropose(Ticks, TryProposeMarker);
            Step(chaos: false);
            liveness.AfterStep(Ticks, MarkerStillPossible);
            if (liveness.MarkerIndex > 0 && Settled(liveness.MarkerIndex))
            {
                return;
            }
        }
    }

    /// <summary>What clients and operators do during chaos, before the tick's messages are delivered.</summary>
    protected abstract void ActDuringChaos();

    /// <summary>Applies one committed entry to the node's state machine and records what the checks need.</summary>
    protected abstract void ApplyCommitted(TNode node, Entry entry);

    /// <summary>Checks a state machine just restored from an installed snapshot.</summary>
    protected abstract void CheckRestoredState(TNode node, Snapshot snapshot);

    /// <summary>After a Ready's committed entries are applied and before it is advanced: e.g. the read states it answers.</summary>
    protected virtual void AfterApplying(TNode node, Ready ready)
    {
    }

    /// <summary>After a Ready is handled (advanced and, when due, compacted).</summary>
    protected virtual void AfterReady(TNode node, RaftNode raft)
    {
    }

    /// <summary>
    /// After a node's part of a tick (its writes finished, its Readies handled), whether or not it is up: e.g. a host
    /// that follows its Raft role as RaftHost does when a Ready changes it. Draws nothing by default.
    /// </summary>
    protected virtual void AfterNodeStep(TNode node)
    {
    }

    /// <summary>The invariants checked after every tick.</summary>
    protected abstract void CheckInvariants();

    /// <summary>Proposes a marker command to the leader; its index, or 0 without a leader or when it is refused.</summary>
    protected abstract long TryProposeMarker();

    /// <summary>Whether the marker at that index may still commit (false once another entry took its place).</summary>
    protected abstract bool MarkerStillPossible(long markerIndex);

    /// <summary>Whether the cluster has settled, given the index of a marker in flight.</summary>
    protected abstract bool Settled(long markerIndex);

    /// <summary>Every node's state in a line, for a failure.</summary>
    protected abstract string DescribeNodes();

    /// <summary>A message as the receiver gets it (e.g. through the wire codec); as sent by default.</summary>
    protected virtual Message OnTheWire(Message message) => message;

    protected TNode? CurrentLeader() => SimulatedCluster.CurrentLeader(Nodes);

    /// <summary>Fails the run, naming the seed, the tick and how to replay it.</summary>
    protected void Fail(string invariant) =>
        throw new SimulationFailure($"seed {Seed}: {invariant} (tick {Ticks}). Replay with {_seedVariable}={Seed}.");

    /// <summary>Runs <paramref name="ticks"/> more ticks without faults (after <see cref="RunChaosThenSettle"/>), checking invariants.</summary>
    protected void RunHealthy(int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            Step(chaos: false);
        }
    }

    private void Step(bool chaos)
    {
        Ticks++;
        if (chaos)
        {
            ActDuringChaos();
        }

        _network.DeliverDue(Ticks);
        SimulatedCluster.TickAll(Random, Nodes, chaos);
        foreach (var node in Nodes)
        {
            if (node.IsUp)
            {
                FinishWrites(node, chaos, all: !chaos);
            }

            HandleReady(node, chaos);
            AfterNodeStep(node);
        }

        CheckInvariants();
    }

    private void InjectFaults()
    {
        _network.InjectPartition(CurrentLeader());
        Crashes += SimulatedCrashes.Inject(Random, Nodes, CurrentLeader(), Settings.CrashRate, Settings.RestartRate);
        _network.MaybeChangeDropRate();
    }

    private void Heal()
    {
        _network.Heal();
        SimulatedCrashes.RestartAll(Random, Nodes);
    }

    /// <summary>
    /// As the host does: a Ready's writes go to the node's simulated WAL writer, finished at some later step by
    /// <see cref="FinishWrites"/>; a leader's appends go at once (thesis §10.2.1), and the leader may crash right then,
    /// losing what it had not written. A Ready with a snapshot is written and sent at once.
    /// </summary>
    private void HandleReady(TNode node, bool chaos)
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
                Send(node.Writer.Hand(ready, raft.Role, out var leaderSentFirst), chaos);
                if (chaos && leaderSentFirst && LeaderCrashBeforePersistRate > 0 && Random.NextDouble() < LeaderCrashBeforePersistRate)
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
                ApplyCommitted(node, entry);
            }

            AfterApplying(node, ready);
            raft.Advance(ready, persisted);
            if (node.AppliedIndex - raft.Log.SnapshotIndex >= Settings.CompactEvery)
            {
                FinishWrites(node, chaos, all: true);
                raft.Compact(node.AppliedIndex, node.EncodeState());
                node.Storage.SaveSnapshot(raft.Log.Snapshot!);
            }

            AfterReady(node, raft);
        }
    }

    /// <summary>The node's WAL writer finishes some (or all) of what is queued, in order.</summary>
    private void FinishWrites(TNode node, bool chaos, bool all) =>
        node.Writer.Finish(all ? node.Writer.Queued : Random.Next(node.Writer.Queued + 1), node.Storage, node.Raft, messages => Send(messages, chaos));

    private void Send(IReadOnlyList<Message> messages, bool chaos)
    {
        foreach (var message in messages)
        {
            _network.Send(OnTheWire(message), Ticks, chaos);
        }
    }
}
