using System.Diagnostics.Metrics;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.Node.Cache;
using DistSync.Tests.Infrastructure.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.Cache.Simulation;

/// <summary>
/// Several nodes, each both a cache and the home of its share of the keys, running the real <see cref="CacheNode"/>
/// and <see cref="CacheHome"/> over a seeded network (delay, loss, partitions), with crashes and restarts that move
/// keys' homes through new ring epochs. Clients on every node read and write a few keys. After every step: at most
/// one node holds a key in M or E, and then no other node holds it valid. At the end: the history is linearizable
/// per key, and no read returned a version older than the last write completed before the read began.
/// </summary>
internal sealed class CacheSimulation
{
    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    private readonly DeterministicScheduler _scheduler = new();
    private readonly SimMemory _memory;
    private readonly SimNetwork _network;
    private readonly List<SimNode> _nodes;
    private readonly LinkCuts _cuts = new();
    private readonly List<RegisterOp> _history = [];
    private readonly List<(string Key, long Version, string? Value, long Completed)> _writes = [];
    private readonly List<(string Key, long Version, string? Value, long Invoked, string Client)> _reads = [];
    private readonly string[] _keys;
    private readonly List<string> _log = [];
    private readonly Dictionary<long, DistSync.Node.Membership.HashRing> _rings = [];
    private readonly Dictionary<(string Key, long Epoch), string> _actedAsHome = [];
    private readonly HashSet<(string Key, string Home)> _inTakeoverWait = [];
    private readonly HashSet<(string Key, long Epoch, string Home)> _finishedClaims = [];
    private string? _homeBroken;
    private bool _quiet;
    private long _epoch;
    private IReadOnlyList<string> _members;
    private int _writeCounter;

    public CacheSimulation(int seed, SimOptions options)
    {
        Seed = seed;
        Options = options;
        Random = new Random(seed);
        _network = new SimNetwork(this);
        _memory = new SimMemory(this);
        _keys = [.. Enumerable.Range(0, options.Keys).Select(k => $"k{k}")];
        _nodes = [.. Enumerable.Range(1, options.Nodes).Select(i => new SimNode($"n{i}"))];
        _members = [.. _nodes.Select(n => n.Id)];
        _rings[0] = new DistSync.Node.Membership.HashRing(_members);
        foreach (var node in _nodes)
        {
            Boot(node);
        }
    }

    public int Seed { get; }

    public SimOptions Options { get; }

    public Random Random { get; }

    public FakeTimeProvider Time => _scheduler.Time;

    public long Steps => _scheduler.Steps;

    public IReadOnlyList<RegisterOp> History => _history;

    public int Crashes { get; private set; }

    public int Partitions { get; private set; }

    public long EpochChanges => _epoch;

    /// <summary>Epochs that landed on a node's ring at a read of it, that is inside a request rather than between two.</summary>
    public int LandedMidRequest { get; private set; }

    /// <summary>Epochs that landed on a node's ring while it waited out a takeover.</summary>
    public int LandedDuringTakeoverWaits { get; private set; }

    public SimNode Node(string id) => _nodes.First(n => n.Id == id);

    public bool Partitioned(string a, string b) => _cuts.IsCut(a, b);

    public void Run()
    {
        foreach (var node in _nodes)
        {
            for (var c = 0; c < Options.ClientsPerNode; c++)
            {
                var client = $"{node.Id}c{c}";
                _scheduler.Start(() => ClientAsync(node, client));
            }
        }

        _scheduler.Run(Options.Duration, Options.CheckLinesEveryStep ? CheckEveryStep : () => { }, Nemesis);
        CheckHistory();
    }

    private long Now => (long)(Time.GetUtcNow() - DeterministicScheduler.DefaultStart).TotalMilliseconds;

    private void Boot(SimNode node)
    {
        node.Alive = true;
        node.Incarnation++;
        var incarnation = node.Incarnation;
        node.Ring = new SimRing(this, node, _epoch, _members);
        var cacheOptions = new CacheOptions
        {
            Lease = TimeSpan.FromMilliseconds(Options.LeaseMs),
            LeaseMargin = TimeSpan.FromMilliseconds(20),
            RevokeTimeout = TimeSpan.FromMilliseconds(60),
            HomeTimeout = TimeSpan.FromMilliseconds(4 * Options.LeaseMs),
            MaxEntries = Options.MaxEntries,
            WriteBackDelay = TimeSpan.FromMilliseconds(Options.LeaseMs / 4),
        };
        var memory = new SimMemory.Handle(_memory, () => node.Alive && node.Incarnation == incarnation);
        var peers = _network.From(node, incarnation);
        var telemetry = new CacheTelemetry(Meters, node.Id);
        node.Home = new CacheHome(node.Id, node.Ring, memory, peers, cacheOptions, Time, telemetry) { SkipOneInvalidationAck = Options.PlantSkippedAck };
        node.Cache = new CacheNode(node.Id, node.Home, node.Ring, memory, peers, cacheOptions, Time, telemetry);
        if (Options.Policy == CacheWritePolicy.WriteBack)
        {
            _scheduler.Start(() => FlushLoopAsync(node, incarnation));
        }
    }

    private async Task FlushLoopAsync(SimNode node, int incarnation)
    {
        while (node.Alive && node.Incarnation == incarnation)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Options.LeaseMs / 16), Time);
            try
            {
                await node.Cache!.FlushAsync(all: false);
            }
            catch (SimCrashedException)
            {
                return;
            }
        }
    }

    private async Task ClientAsync(SimNode node, string client)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Next(1, 8)), Time);
            if (!node.Alive)
            {
                continue;
            }

            var incarnation = node.Incarnation;
            var cache = node.Cache!;
            var key = _keys[Random.Next(_keys.Length)];
            var invoked = Now;
            if (Random.NextDouble() < Options.WriteShare)
            {
                var value = $"{client}-{++_writeCounter}";
                var op = new RegisterOp(client, key, true, value, invoked, long.MaxValue);
                _history.Add(op);
                try
                {
                    var written = await cache.SetAsync(key, true, value, 0, Options.Policy, CancellationToken.None);
                    if (node.Incarnation == incarnation && node.Alive)
                    {
                        _history[_history.IndexOf(op)] = op with { Completed = Now };
                        _writes.Add((key, written.Version, value, Now));
                        Log($"{client} set {key}={value} v{written.Version} {written.State}{(written.Silent ? " silent" : "")} [{invoked},{Now}]");
                    }
                }
                catch (CacheUnavailableException ex) when (!ex.MayHaveBeenApplied)
                {
                    _history.Remove(op); // refused before reaching any home: it did nothing
                }
                catch (Exception ex) when (ex is CacheUnavailableException or SimCrashedException or StackExchange.Redis.RedisException or TimeoutException)
                {
                    // Unknown outcome: stays open-ended in the history.
                }
            }
            else
            {
                try
                {
                    var read = await cache.GetAsync(key, CancellationToken.None);
                    if (node.Incarnation == incarnation && node.Alive)
                    {
                        _history.Add(new RegisterOp(client, key, false, read.Value, invoked, Now));
                        _reads.Add((key, read.Version, read.Value, invoked, client));
                        Log($"{client} get {key}={read.Value} v{read.Version} {(read.Hit ? "hit" : "miss")} {read.State} [{invoked},{Now}]");
                    }
                }
                catch (Exception ex) when (ex is CacheUnavailableException or SimCrashedException or StackExchange.Redis.RedisException or TimeoutException)
                {
                    // A failed read says nothing.
                }
            }
        }
    }

    /// <summary>Faults, decided once per simulated millisecond.</summary>
    private void Nemesis(TimeSpan elapsed)
    {
        foreach (var node in _nodes)
        {
            if (node.DownUntil is { } until && Now >= until)
            {
                node.DownUntil = null;
                if (!node.Alive)
                {
                    Boot(node);
                }

                _cuts.Rejoin(node.Id);
                node.BackSince = Now;
            }
        }

        // Quiet at the end, so that every open operation settles.
        var quiet = elapsed > Options.Duration - TimeSpan.FromMilliseconds(10 * Options.LeaseMs);
        if (!quiet && _nodes.All(n => n.DownUntil is null) && Random.NextDouble() < Options.FaultRatePerMs)
        {
            var victim = _nodes[Random.Next(_nodes.Count)];
            victim.DownUntil = Now + Random.Next(Options.LeaseMs / 2, 4 * Options.LeaseMs);
            victim.DownSince = Now;
            if (Options.Crashes && Random.Next(2) == 0)
            {
                victim.Alive = false;
                Crashes++;
                Log($"crash {victim.Id} until {victim.DownUntil}");
            }
            else
            {
                _cuts.Isolate(victim.Id, _nodes.Select(n => n.Id));

                Partitions++;
                Log($"partition {victim.Id} until {victim.DownUntil}");
            }
        }

        // The ring also moves with every node up: the leader's monitor removes a node that answered late and adds it
        // back once it answers, so a node leaves and rejoins while it is serving.
        _quiet = quiet;
        if (!quiet && Options.RingFlapRatePerMs > 0 && Random.NextDouble() < Options.RingFlapRatePerMs)
        {
            TakeOutOfRing(_nodes[Random.Next(_nodes.Count)]);
        }

        // The ring: a node cut off or down for a while leaves, and comes back once steadily reachable; every node
        // that can hear the (simulated) Raft leader applies each epoch after its own delay.
        var reachable = _nodes.Where(n => n.DownUntil is null && Now - n.BackSince > Options.LeaseMs / 2).Select(n => n.Id).ToList();
        var lost = _nodes.Where(n => (n.DownUntil is not null && Now - n.DownSince > Options.LeaseMs / 2) || n.RingOutUntil > Now).Select(n => n.Id).ToHashSet();
        var desired = _nodes.Select(n => n.Id).Where(id => !lost.Contains(id) && (_members.Contains(id) || reachable.Contains(id))).ToList();
        if (desired.Count > 0 && !desired.SequenceEqual(_members))
        {
            _epoch++;
            _members = desired;
            _rings[_epoch] = new DistSync.Node.Membership.HashRing(desired);
            Log($"epoch {_epoch}: {string.Join(",", desired)}");
            var epoch = _epoch;
            var members = desired;
            foreach (var node in _nodes)
            {
                var delay = Random.Next(0, 30);
                _scheduler.Start(async () =>
                {
                    while (true)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(delay), Time);
                        if (node.Alive && node.DownUntil is null)
                        {
                            var ring = node.Ring!;
                            ring.Receive(epoch, members);
                            if (Options.RingMovesMidRequest)
                            {
                                // Whatever no read has landed by then lands on its own.
                                await Task.Delay(TimeSpan.FromMilliseconds(Random.Next(1, 100)), Time);
                                ring.Settle();
                            }

                            return;
                        }

                        delay = 5;
                    }
                });
            }
        }
    }

    private void TakeOutOfRing(SimNode node)
    {
        if (_members.Count > 1 && _members.Contains(node.Id) && node.DownUntil is null)
        {
            node.RingOutUntil = Now + Random.Next(1, Options.LeaseMs / 2);
            Log($"ring drops {node.Id} until {node.RingOutUntil}");
        }
    }

    /// <summary>A home script reached Redis: <paramref name="home"/> acts as the key's home in <paramref name="epoch"/>.</summary>
    public void ActedAsHome(string key, long epoch, string home)
    {
        var owner = _rings[epoch].OwnerOf(CacheRing.RingKey(key));
        if (owner != home)
        {
            _homeBroken ??= $"{home} acted as home of {key} in epoch {epoch}, whose ring gives {key} to {owner}";
        }

        if (!_actedAsHome.TryAdd((key, epoch), home) && _actedAsHome[(key, epoch)] != home)
        {
            _homeBroken ??= $"{_actedAsHome[(key, epoch)]} and {home} both acted as home of {key} in epoch {epoch}";
        }

        _inTakeoverWait.Remove((key, home));
    }

    /// <summary>Redis recorded <paramref name="home"/>'s claim of <paramref name="key"/> in <paramref name="epoch"/> as finished: no takeover left to wait out.</summary>
    public void FinishedClaim(string key, long epoch, string home) => _finishedClaims.Add((key, epoch, home));

    /// <summary>Redis told <paramref name="home"/> to wait out the previous home's leases before granting <paramref name="key"/>.</summary>
    public void TakeoverDue(string key, string home)
    {
        _inTakeoverWait.Add((key, home));
        if (!_quiet && Options.RingMoveOnTakeover > 0 && Random.NextDouble() < Options.RingMoveOnTakeover)
        {
            TakeOutOfRing(Node(home));
        }
    }

    public void RingLanded(SimNode node, bool midRequest)
    {
        LandedMidRequest += midRequest ? 1 : 0;
        LandedDuringTakeoverWaits += _inTakeoverWait.Any(w => w.Home == node.Id) ? 1 : 0;
    }

    private void Log(string line) => _log.Add($"t={Now} {line}");

    /// <summary>The events before <paramref name="until"/> that concern <paramref name="key"/> (or the ring), for a failure report.</summary>
    private string Tail(string key, long until) => string.Join(Environment.NewLine, _log
        .Where(l => l.Contains($" {key}=", StringComparison.Ordinal) || l.Contains("epoch", StringComparison.Ordinal) || l.Contains("crash", StringComparison.Ordinal) || l.Contains("partition", StringComparison.Ordinal))
        .Where(l => long.Parse(l[2..l.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) <= until + 400).TakeLast(60));

    private void CheckEveryStep()
    {
        CheckHomes();
        CheckLines();
    }

    /// <summary>
    /// At most one node acts as a key's home in one epoch, and it is the node that epoch's ring names: in Redis (every
    /// home script names its epoch) and in the nodes (a home's entry for a key names the epoch it claimed it in, and
    /// exists only once Redis has that claim as finished, its takeover waited out).
    /// </summary>
    private void CheckHomes()
    {
        foreach (var key in _keys)
        {
            var entries = _nodes.Where(n => n.Alive).Select(n => (n.Id, Epoch: n.Home!.ClaimedEpoch(key))).Where(e => e.Epoch is not null).ToList();
            foreach (var (id, epoch) in entries)
            {
                if (entries.FirstOrDefault(e => e.Epoch == epoch && e.Id != id) is { Id: { } other })
                {
                    _homeBroken ??= $"{id} and {other} both hold {key}'s entry as its home in epoch {epoch}";
                }

                if (!_finishedClaims.Contains((key, epoch!.Value, id)))
                {
                    _homeBroken ??= $"{id} holds {key}'s entry as its home in epoch {epoch} before its claim there is finished";
                }
            }
        }

        if (_homeBroken is not null)
        {
            throw new SimulationFailure($"seed {Seed}, step {Steps}, t={Now} ms: {_homeBroken}. Replay with DISTSYNC_CACHESIM_SEED={Seed}."
                + Environment.NewLine + string.Join(Environment.NewLine, _log.Where(l => l.Contains("epoch", StringComparison.Ordinal) || l.Contains("ring", StringComparison.Ordinal)
                    || l.Contains("crash", StringComparison.Ordinal) || l.Contains("partition", StringComparison.Ordinal)).TakeLast(12)));
        }
    }

    /// <summary>The MESI invariant across the live nodes, for every key.</summary>
    private void CheckLines()
    {
        foreach (var key in _keys)
        {
            var valid = _nodes.Where(n => n.Alive).Select(n => (n.Id, Line: n.Cache!.Describe(key))).Where(l => l.Line is { State: not LineState.I }).ToList();
            var exclusive = valid.Where(l => l.Line!.State is LineState.M or LineState.E).ToList();
            if (exclusive.Count > 1 || (exclusive.Count == 1 && valid.Count > 1))
            {
                throw new SimulationFailure($"seed {Seed}, step {Steps}, t={Now} ms: {key} is held as "
                    + string.Join(", ", valid.Select(v => $"{v.Id}:{v.Line!.State}v{v.Line.Version}")) + ". Replay with DISTSYNC_CACHESIM_SEED=" + Seed + ".");
            }
        }
    }

    private void CheckHistory()
    {
        // The linearizability search first: it is the checker the planted-bug test holds to account.
        var verdict = RegisterChecker.Check(_history);
        if (!verdict.Linearizable)
        {
            throw new SimulationFailure($"seed {Seed}: {verdict}{Environment.NewLine}Replay with DISTSYNC_CACHESIM_SEED={Seed}.");
        }

        foreach (var read in _reads)
        {
            var latest = _writes.Where(w => w.Key == read.Key && w.Completed < read.Invoked).Select(w => w.Version).DefaultIfEmpty(0).Max();
            if (read.Version < latest)
            {
                throw new SimulationFailure($"seed {Seed}: {read.Client} read {read.Key} version {read.Version} ('{read.Value}') at t={read.Invoked} ms, "
                    + $"after version {latest} was written and acknowledged. Replay with DISTSYNC_CACHESIM_SEED={Seed}.{Environment.NewLine}" + Tail(read.Key, read.Invoked));
            }
        }
    }
}

internal sealed class SimNode(string id)
{
    public string Id { get; } = id;

    public bool Alive { get; set; }

    public int Incarnation { get; set; }

    public long? DownUntil { get; set; }

    public long DownSince { get; set; }

    public long BackSince { get; set; } = -1_000_000;

    /// <summary>Until then the ring leaves this node out though it is up (a flap of the membership monitor).</summary>
    public long RingOutUntil { get; set; }

    public SimRing? Ring { get; set; }

    public CacheHome? Home { get; set; }

    public CacheNode? Cache { get; set; }
}

internal sealed record SimOptions
{
    public int Nodes { get; init; } = 3;

    public int Keys { get; init; } = 3;

    public int ClientsPerNode { get; init; } = 2;

    public int LeaseMs { get; init; } = 200;

    public int MaxDelayMs { get; init; } = 3;

    public double LossRate { get; init; } = 0.02;

    /// <summary>Each way to Redis and back: other messages overtake a command in flight, as on a real network.</summary>
    public int MaxMemoryDelayMs { get; init; } = 2;

    /// <summary>Each way: a command not sent (connection failure), or its answer lost after it ran (a timeout).</summary>
    public double MemoryErrorRate { get; init; } = 0.005;

    public double WriteShare { get; init; } = 0.3;

    public double FaultRatePerMs { get; init; } = 0.002;

    public bool Crashes { get; init; } = true;

    public int MaxEntries { get; init; } = 100;

    public CacheWritePolicy Policy { get; init; } = CacheWritePolicy.WriteThrough;

    public bool PlantSkippedAck { get; init; }

    /// <summary>A node's ring takes a new epoch between two reads of it, not only between requests.</summary>
    public bool RingMovesMidRequest { get; init; }

    /// <summary>How often per millisecond the ring drops a node that is up, for a moment.</summary>
    public double RingFlapRatePerMs { get; init; }

    /// <summary>How often a home told to wait out a takeover is dropped from the ring during that wait.</summary>
    public double RingMoveOnTakeover { get; init; }

    /// <summary>Off: only the history is checked at the end (to show the linearizability checker finds a bug by itself).</summary>
    public bool CheckLinesEveryStep { get; init; } = true;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(6);
}
