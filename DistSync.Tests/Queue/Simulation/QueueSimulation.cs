using System.Diagnostics.Metrics;
using DistSync.LoadTests.Chaos.History;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Membership;
using DistSync.Node.Queue;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>
/// Several nodes running the real queue code (<see cref="QueueService"/>, <see cref="QueueOwner"/>, <see cref="OwnedPartitions"/>,
/// <see cref="RedeliveryScheduler"/>, <see cref="QueueInternalApi"/>) against an in-memory store with the scripts' rules
/// (<see cref="QueueStoreModel"/>), over a seeded network. The ring's membership is committed as Raft would commit it and
/// each node applies it at its own moment. Clients on every node publish with random keys, consume, ack, nack, extend
/// and forget messages, while nodes crash and restart, are isolated (still reaching the store and their own clients),
/// apply epochs late (a deposed owner that still believes it owns), and leave and rejoin the ring. Then the faults heal
/// and the queue is drained. Checked: after every step, the owners' views of their partitions (see
/// <see cref="CheckOwnersViews"/>); at the end, the history by the fault harness's <see cref="LoadTests.Chaos.Checkers.QueueChecker"/>
/// (no acknowledged publish lost, nothing delivered after its ack) and every message accounted for.
/// </summary>
internal sealed partial class QueueSimulation
{
    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    private readonly QueueSimScheduler _scheduler = new();
    private readonly List<QueueSimNode> _nodes;
    private readonly List<ClusterMembership> _epochs;
    private readonly TopicConfig[] _topics;
    private readonly List<(QueueSimNode Node, int Incarnation, Action<string> Notified)> _subscribers = [];
    private readonly List<string> _log = [];
    private readonly long _startMs;
    private (string Node, int Incarnation) _writer;
    private bool _chaos = true;

    public QueueSimulation(int seed, QueueSimOptions options)
    {
        Seed = seed;
        Options = options;
        Random = new Random(seed);
        Store = new QueueStoreModel { Fenced = !options.PlantFenceRemovedInModel, TiesInArrivalOrder = true };
        Store.Written += OnWritten;
        Store.Refused += (key, epoch, stored) =>
        {
            FencedWrites++;
            Log($"fence refused {_writer.Node} at {key.Topic}/{key.Partition}: epoch {epoch}, stored {stored}");
        };
        _startMs = NowMs;
        _nodes = [.. Enumerable.Range(1, options.Nodes).Select(i => new QueueSimNode($"n{i}"))];
        _epochs = [new ClusterMembership(0, [.. _nodes.Select(n => n.Id)])];
        _topics = [.. Enumerable.Range(0, options.Topics).Select(t => new TopicConfig($"t{t}", options.Partitions, options.MaxDeliveries, 30))];
        StoreErrorRate = options.StoreErrorRate;
        foreach (var node in _nodes)
        {
            Boot(node);
        }
    }

    public int Seed { get; }

    public QueueSimOptions Options { get; }

    public Random Random { get; }

    public QueueStoreModel Store { get; }

    public FakeTimeProvider Time => _scheduler.Time;

    public long Steps => _scheduler.Steps;

    /// <summary>The store's clock (Redis TIME), in unix milliseconds.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Zero once the faults heal.</summary>
    public double StoreErrorRate { get; private set; }

    public int Crashes { get; private set; }

    public int Isolations { get; private set; }

    public int RingLags { get; private set; }

    public long EpochChanges => _epochs.Count - 1;

    /// <summary>Writes the fence refused: a deposed owner tried.</summary>
    public int FencedWrites { get; private set; }

    public QueueSimNode Node(string id) => _nodes.First(n => n.Id == id);

    public void Run()
    {
        StartClients();
        _scheduler.Run(Options.Duration, CheckEveryStep, EveryMillisecond);
        Heal();
        Drain();
        CheckEnd();
    }

    public Task NetworkDelayAsync() => Task.Delay(TimeSpan.FromMilliseconds(Random.Next(Options.MaxNetworkDelayMs + 1)), Time);

    /// <summary>Whether a message sent from one incarnation reaches the other: both still running, neither isolated.</summary>
    public bool Connected(QueueSimNode from, int fromIncarnation, QueueSimNode to, int toIncarnation) =>
        from.Alive && from.Incarnation == fromIncarnation && to.Alive && to.Incarnation == toIncarnation && !from.Isolated && !to.Isolated;

    /// <summary>Runs one script for <paramref name="node"/>, noting who wrote (for the owners' views check).</summary>
    public T RunScript<T>(QueueSimNode node, Func<long, T> script)
    {
        _writer = (node.Id, node.Incarnation);
        try
        {
            return script(NowMs);
        }
        finally
        {
            _writer = default;
        }
    }

    /// <summary>Pub/sub: every incarnation subscribed now hears it a moment later, isolated or not (it reaches Redis).</summary>
    public void Publish(string topic)
    {
        foreach (var (node, incarnation, notified) in _subscribers.Where(s => s.Node.Alive && s.Node.Incarnation == s.Incarnation).ToList())
        {
            _scheduler.Start(async () =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Next(Options.MaxStoreDelayMs + 1)), Time);
                if (node.Alive && node.Incarnation == incarnation)
                {
                    notified(topic);
                }
            });
        }
    }

    public void Subscribe(QueueSimNode node, int incarnation, Action<string> notified)
    {
        _subscribers.RemoveAll(s => s.Node == node);
        _subscribers.Add((node, incarnation, notified));
    }

    /// <summary>A new process for <paramref name="node"/>: its Raft log replayed (the ring's epochs and the topics), then the queue's parts.</summary>
    private void Boot(QueueSimNode node)
    {
        node.Alive = true;
        node.Incarnation++;
        node.SteadySince = NowMs;
        var incarnation = node.Incarnation;
        var nodeOptions = Microsoft.Extensions.Options.Options.Create(new NodeOptions { NodeId = node.Id });
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            _nodes.Where(n => n != node).Select(n => new KeyValuePair<string, string?>($"services:{n.Id}:http:0", $"http://{n.Id}.sim"))).Build();
        var peers = new PeerDirectory(configuration, nodeOptions);
        node.Membership = new MembershipStateMachine(peers, new ClusterFounding(nodeOptions, peers), NullLogger<MembershipStateMachine>.Instance);
        for (var epoch = 1; epoch < _epochs.Count; epoch++)
        {
            ApplyEpoch(node, epoch);
        }

        node.Topics = new TopicRegistry();
        for (var t = 0; t < _topics.Length; t++)
        {
            node.Topics.Apply(t + 1, NowMs, TopicRegistry.Encode(_topics[t]));
        }

        var store = new SimQueueStore(this, node, incarnation);
        var queueOptions = Microsoft.Extensions.Options.Options.Create(new QueueOptions { DefaultMaxDeliveries = Options.MaxDeliveries });
        var telemetry = new QueueTelemetry(Meters, nodeOptions);
        var ring = new QueueRing(node.Membership);
        node.Owned = new OwnedPartitions(Time, store);
        node.Owner = new QueueOwner(ring, store, node.Owned, node.Topics, peers, telemetry, queueOptions);
        node.Notifications = new QueueNotifications(store, NullLogger<QueueNotifications>.Instance);
        _ = node.Notifications.StartAsync(CancellationToken.None);
        node.Service = new QueueService(ring, node.Owner, new SimQueuePeers(this, node, incarnation), store, node.Topics, UnstartedRaft(nodeOptions, peers),
            node.Notifications, peers, queueOptions, Time);
        var scheduler = new RedeliveryScheduler(node.Owner, node.Owned, ring, node.Topics, node.Membership, store, telemetry, peers, Time,
            NullLogger<RedeliveryScheduler>.Instance);
        node.Stopping = new CancellationTokenSource();
        var stopping = node.Stopping.Token;
        _scheduler.Start(() => scheduler.RunAsync(stopping));
    }

    /// <summary>
    /// <see cref="QueueService"/> asks Raft only to create a topic or to find one created elsewhere; the simulation's
    /// topics are in every node's registry before it runs, so its Raft host is never started.
    /// </summary>
    private static RaftHost UnstartedRaft(IOptions<NodeOptions> nodeOptions, PeerDirectory peers)
    {
        var founding = new ClusterFounding(nodeOptions, peers);
        var admission = new ClusterAdmission(nodeOptions, founding, peers, new PeerCredentials(nodeOptions), NullLogger<ClusterAdmission>.Instance);
        return new(nodeOptions, Microsoft.Extensions.Options.Options.Create(new RaftHostOptions()), peers, founding, admission, new NoRaftTransport(), [],
            new RaftTelemetry(Meters, nodeOptions), NullLogger<RaftHost>.Instance);
    }

    private void Crash(QueueSimNode node)
    {
        node.Alive = false;
        node.UnreachableSince = NowMs;
        node.Stopping?.Cancel();
        Crashes++;
        Log($"crash {node.Id} until {node.FaultUntil - _startMs}");
    }

    /// <summary>The leader's part: commit a new membership when the live, reachable nodes differ from it; each node's part: apply it.</summary>
    private void MoveRing()
    {
        var now = NowMs;
        var current = _epochs[^1];
        var desired = _nodes.Where(n =>
        {
            var reachable = n.Alive && !n.Isolated;
            return n.RingOutUntil <= now && (current.Members.Contains(n.Id)
                ? reachable || now - n.UnreachableSince < Options.RingGraceMs
                : reachable && now - n.SteadySince >= Options.RingBackMs);
        }).Select(n => n.Id).ToList();
        if (desired.Count > 0 && !desired.SequenceEqual(current.Members))
        {
            _epochs.Add(new ClusterMembership(current.Epoch + 1, desired));
            Log($"epoch {current.Epoch + 1}: {string.Join(",", desired)}");
            foreach (var node in _nodes.Where(n => n.NextApplyAt < now))
            {
                node.NextApplyAt = now + Random.Next(Options.MaxApplyDelayMs + 1);
            }
        }

        foreach (var node in _nodes)
        {
            if (node.Alive && !node.Isolated && node.RingLagUntil <= now && node.NextApplyAt <= now && node.AppliedEpoch < _epochs[^1].Epoch)
            {
                ApplyEpoch(node, (int)node.AppliedEpoch + 1);
                node.NextApplyAt = now + Random.Next(Options.MaxApplyDelayMs + 1);
            }
        }
    }

    private void ApplyEpoch(QueueSimNode node, int epoch)
    {
        var change = new MembershipChange(epoch - 1, _epochs[epoch].Members);
        var outcome = (MembershipOutcome)node.Membership!.Apply(epoch, NowMs, MembershipStateMachine.Encode(change))!;
        if (!outcome.Applied)
        {
            throw new InvalidOperationException($"{node.Id} could not apply epoch {epoch}: {outcome.Refusal}");
        }
    }

    /// <summary>Faults while the chaos lasts (at most one node down or isolated at a time); their ends; the ring following.</summary>
    private void EveryMillisecond()
    {
        var now = NowMs;
        foreach (var node in _nodes)
        {
            if (!node.Alive && node.FaultUntil <= now)
            {
                Boot(node);
                Log($"restart {node.Id} (incarnation {node.Incarnation})");
            }
            else if (node.Isolated && node.FaultUntil <= now)
            {
                node.Isolated = false;
                node.SteadySince = now;
                Log($"rejoin {node.Id}");
            }
        }

        if (_chaos && Random.NextDouble() < Options.FaultRatePerMs)
        {
            var victim = _nodes[Random.Next(_nodes.Count)];
            var anyDown = _nodes.Any(n => !n.Alive || n.Isolated);
            switch (Random.Next(4))
            {
                case 0 when !anyDown:
                    victim.FaultUntil = now + Random.Next(100, 1500);
                    Crash(victim);
                    break;
                case 1 when !anyDown:
                    // Longer than the ring's grace mostly, so the ring moves its partitions while it still believes it owns them.
                    victim.Isolated = true;
                    victim.UnreachableSince = now;
                    victim.FaultUntil = now + Random.Next(200, 3000);
                    Isolations++;
                    Log($"isolate {victim.Id} until {victim.FaultUntil - _startMs}");
                    break;
                case 2:
                    victim.RingLagUntil = now + Random.Next(50, 800);
                    RingLags++;
                    Log($"ring lag {victim.Id} until {victim.RingLagUntil - _startMs}");
                    break;
                case 3 when victim.Alive && !victim.Isolated:
                    victim.RingOutUntil = now + Random.Next(20, 300);
                    Log($"ring drops {victim.Id} until {victim.RingOutUntil - _startMs}");
                    break;
            }
        }

        MoveRing();
    }

    /// <summary>Every fault ends: crashed nodes restart, isolations and lags end, the store answers every command.</summary>
    private void Heal()
    {
        _chaos = false;
        StoreErrorRate = 0;
        foreach (var node in _nodes)
        {
            node.FaultUntil = Math.Min(node.FaultUntil, NowMs);
            node.RingLagUntil = 0;
            node.RingOutUntil = 0;
        }

        Log("heal");
    }

    private void Log(string line)
    {
        _log.Add($"t={NowMs - _startMs} {line}");
        if (_log.Count > 4000)
        {
            _log.RemoveRange(0, 2000);
        }
    }

    private long Micros(long unixMs) => (unixMs - _startMs) * 1000;

    private SimulationFailure Failure(string what) =>
        new($"seed {Seed}, step {Steps}, t={NowMs - _startMs} ms: {what}{Environment.NewLine}Replay with DISTSYNC_QUEUESIM_SEED={Seed}.{Environment.NewLine}"
            + "Last events:" + Environment.NewLine + string.Join(Environment.NewLine, _log.TakeLast(25)));

    /// <summary>A transport that goes nowhere, for the never-started Raft host.</summary>
    private sealed class NoRaftTransport : IRaftTransport
    {
        public event Action<string>? PeerUnreachable { add { } remove { } }

        public event Action<Message>? Undelivered { add { } remove { } }

        public void Send(IReadOnlyList<Message> messages)
        {
        }
    }
}
