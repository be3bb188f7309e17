using System.Collections.Concurrent;
using System.Globalization;
using DistSync.Client;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Chaos.Workloads;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Chaos;

/// <summary>
/// What a chaos run does: how long, which workloads and nemeses, the seed of its schedule, clients per workload, and the
/// Redis the cluster runs on.
/// </summary>
public sealed record ChaosSettings(TimeSpan Length, IReadOnlyList<string> Workloads, IReadOnlyList<string> Nemeses, int Seed, int ClientsPerWorkload = 6,
    RedisTopology Redis = RedisTopology.Single)
{
    public static readonly IReadOnlyList<string> AllWorkloads = ["locks", "queue", "cache"];

    public const int Nodes = 3;
}

/// <summary>A fault as it happened: what was planned, what the injector did, and when (microseconds since the run began).</summary>
public sealed record FaultRecord(Fault Planned, string Done, long From, long To);

/// <summary>Everything a chaos run produced: the history, the faults, what the checkers found, the per-second figures.</summary>
public sealed record ChaosResult(
    ChaosSettings Settings,
    IReadOnlyList<ChaosOp> History,
    IReadOnlyList<FaultRecord> Faults,
    IReadOnlyList<Violation> Violations,
    RunRecorder Recorder,
    DateTimeOffset EndedAt,
    TimeSpan Healing,
    string AppHostLog)
{
    /// <summary>What went wrong in the harness itself (a client that broke, final reads that threw): not the cluster's fault, but the run is weaker for it.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>
/// A Jepsen-style run on a real cluster: this checkout's AppHost started with every peer link through a
/// <see cref="ProxyMesh"/>, clients of each workload on every node recording a history, a seeded
/// <see cref="FaultSchedule"/> struck by a <see cref="FaultInjector"/>; then, once every fault has healed and the
/// cluster agrees on a leader with every node in its ring, the workloads' final reads and the checkers.
/// </summary>
public static class ChaosRun
{
    private static readonly TimeSpan HealTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Long enough for an election and a forward; short enough that a paused node's clients move on to another.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Short, so that pauses and partitions end sessions and the clients' <c>HandleLost</c> is put to the test.</summary>
    private static readonly TimeSpan SessionTtl = TimeSpan.FromSeconds(5);

    /// <summary>The run's apps' clients, closed together when it ends.</summary>
    private sealed class OpenClients : IAsyncDisposable
    {
        private readonly List<DistSyncClient> _clients = [];

        public DistSyncClient Add(DistSyncClientOptions options)
        {
            var client = new DistSyncClient(options);
            _clients.Add(client);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    public static async Task<ChaosResult> RunAsync(ChaosSettings settings, string logPath, TextWriter progress, bool live, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        ProxyMesh? mesh = null;
        // Only a run with the clock nemesis starts its nodes on clocks of their own (libfaketime reads a file per clock read).
        using var clocks = settings.Nemeses.Contains(Nemeses.Clock)
            ? new NodeClocks(Enumerable.Range(1, ChaosSettings.Nodes).Select(i => $"node{i}"))
            : null;
        var cluster = await ManagedCluster.StartAsync(ChaosSettings.Nodes, logPath, progress, cancel, basePort =>
        {
            _ = mesh?.DisposeAsync(); // a second start of the AppHost gets proxies of its own
            mesh = ProxyMesh.Create(Enumerable.Range(1, ChaosSettings.Nodes).ToDictionary(i => $"node{i}", i => basePort + i - 1));
            // The nodes' and Redis's own logs beside the AppHost's, to read what a node did when it answered oddly.
            return [.. mesh.AppHostArguments(), .. clocks?.AppHostArguments() ?? [], "--log-dir", Path.Combine(Path.GetDirectoryName(Path.GetFullPath(logPath))!, "logs"),
                .. settings.Redis == RedisTopology.Cluster ? ["--redis", "cluster"] : Array.Empty<string>()];
        });
        var links = mesh!;
        await using (links)
        await using (cluster)
        {
            var run = "chaos-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture) + "-" + settings.Seed.ToString(CultureInfo.InvariantCulture);
            var recorder = new RunRecorder();
            using var status = new ClusterClient(cluster.Urls, 4);
            var history = new HistoryLog();
            var workloads = settings.Workloads.Select<string, IChaosWorkload>(w => w switch
            {
                "locks" => new LockWorkload(run),
                "queue" => new QueueWorkload(run),
                "cache" => new CacheWorkload(run),
                _ => throw new ArgumentException($"no workload '{w}'."),
            }).ToList();
            var clients = new Dictionary<IChaosWorkload, List<ChaosClient>>();
            await using var apps = new OpenClients();
            var number = 0;
            foreach (var workload in workloads)
            {
                clients[workload] = [.. Enumerable.Range(0, settings.ClientsPerWorkload).Select(i =>
                {
                    var n = number++;
                    var own = n % ChaosSettings.Nodes;
                    var client = apps.Add(new DistSyncClientOptions
                    {
                        // Its own node first, then the others: the client learns the rest and routes by itself.
                        Endpoints = [.. cluster.Urls.Skip(own), .. cluster.Urls.Take(own)],
                        Token = ApiToken.Current,
                        ClientId = $"c{n}",
                        RequestTimeout = RequestTimeout,
                        SessionTtl = SessionTtl,
                        CacheNode = workload is CacheWorkload ? cluster.Urls[own] : null,
                    });
                    return new ChaosClient($"c{n}", $"node{own + 1}", client, recorder, history, new Random(HashCode.Combine(settings.Seed, n)));
                })];
            }

            var schedule = FaultSchedule.Generate(settings.Seed, settings.Length, settings.Nemeses, settings.Redis);
            await progress.WriteLineAsync($"schedule (seed {settings.Seed}): {schedule.Count} faults over {settings.Length.TotalSeconds:F0} s");
            foreach (var fault in schedule)
            {
                await progress.WriteLineAsync("  " + fault);
            }

            using var stopClients = new CancellationTokenSource();
            var problems = new ConcurrentQueue<string>();
            var running = clients.SelectMany(pair => pair.Value.Select(c => Task.Run(() => RunClientAsync(pair.Key, c, progress, problems, stopClients.Token), CancellationToken.None))).ToList();
            var faults = new List<FaultRecord>();
            Fault? current = null;
            using var progressStop = new CancellationTokenSource();
            var reporter = ReportProgressAsync(settings, recorder, history, () => Volatile.Read(ref current), progress, live, progressStop.Token);
            // On a Redis Cluster the redis nemesis talks to the members themselves, at the ports the AppHost keeps in the data folder.
            await using var redisCluster = settings.Redis == RedisTopology.Cluster
                ? new RedisClusterFaults(RedisMemberAddress.FromPortsFile(cluster.DataDir), cluster.RedisPassword)
                : null;
            var injector = new FaultInjector(links, new ClusterProcesses(cluster.DataDir), status, settings.Seed, clocks, redisCluster);
            try
            {
                foreach (var fault in schedule)
                {
                    await WaitUntilAsync(recorder, fault.Start, cancel);
                    Volatile.Write(ref current, fault);
                    var from = recorder.Elapsed;
                    string? done = null;
                    try
                    {
                        done = await injector.RunAsync(fault, cancel);
                    }
                    finally
                    {
                        // Recorded even when Ctrl+C cut it short: its operations belong to it, not to "no fault".
                        var to = recorder.Elapsed;
                        Volatile.Write(ref current, null);
                        recorder.Mark(fault.Nemesis, from, to);
                        faults.Add(new FaultRecord(fault, done ?? "interrupted (and healed)", from.Ticks / 10, to.Ticks / 10));
                        // On a terminal, the fault's line replaces the progress line, which the next tick writes again below it.
                        var line = $"{(live ? "\r" : "")}{Clock(to)} {fault.Label}: {faults[^1].Done}";
                        await progress.WriteLineAsync(live ? line.PadRight(Math.Max(line.Length, ConsoleWidth() - 1)) : line);
                    }
                }

                await WaitUntilAsync(recorder, settings.Length, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                await progress.WriteLineAsync("stopped early: healing, reading the final state and checking what was recorded ...");
            }
            finally
            {
                await stopClients.CancelAsync();
                await Task.WhenAll(running);
                await progressStop.CancelAsync();
                await reporter;
            }

            // Everything healed: the final reads need every node up, one leader, and every node back in the ring.
            links.Heal();
            var ended = recorder.Elapsed;
            var violations = new List<Violation>();
            await progress.WriteLineAsync($"{Clock(ended)} run over; waiting for a healthy cluster ...");
            var healthy = false;
            try
            {
                await cluster.WaitUntilReadyAsync(HealTimeout, CancellationToken.None);
                await WaitForFullRingAsync(status, cluster.Urls[0], HealTimeout);
                healthy = true;
            }
            catch (InvalidOperationException ex)
            {
                violations.Add(new Violation("liveness", $"the cluster did not recover once every fault had healed: {ex.Message}", []));
            }

            var healing = recorder.Elapsed - ended;
            await progress.WriteLineAsync($"{Clock(recorder.Elapsed)} {(healthy ? $"healthy after {healing.TotalSeconds:F1} s; final reads" : "not healthy; checking without the final reads")} ...");
            using var finish = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            foreach (var workload in healthy ? workloads : [])
            {
                try
                {
                    if (await workload.FinishAsync(clients[workload], finish.Token) is { } incomplete)
                    {
                        violations.Add(new Violation(workload.Name, $"the final reads did not complete ({incomplete}): verdicts below about what was never delivered may come from that", []));
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    problems.Enqueue($"{workload.Name}'s final reads failed: {ex.GetType().Name}: {ex.Message}");
                }
            }

            var ops = history.Snapshot();
            await progress.WriteLineAsync($"checking {ops.Count:N0} operations ...");
            foreach (var workload in workloads)
            {
                try
                {
                    violations.AddRange(workload.Check(ops));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    problems.Enqueue($"the {workload.Name} checker failed: {ex.GetType().Name}: {ex.Message}");
                }
            }

            return new ChaosResult(settings, ops, faults, violations, recorder, DateTimeOffset.UtcNow, healing, logPath) { Problems = [.. problems] };
        }
    }

    /// <summary>The checkers of the named workloads over a saved history: the offline re-check.</summary>
    public static IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history) =>
        [.. Checkers.LockChecker.Check(history), .. Checkers.QueueChecker.Check(history), .. Checkers.CacheChecker.Check(history)];

    /// <summary>A client that breaks (a bug in the harness, not a fault) is reported and stops; the run goes on.</summary>
    private static async Task RunClientAsync(IChaosWorkload workload, ChaosClient client, TextWriter progress, ConcurrentQueue<string> problems, CancellationToken stop)
    {
        try
        {
            await workload.RunClientAsync(client, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the run is over
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var problem = $"{workload.Name} client {client.Process} stopped: {ex.GetType().Name}: {ex.Message}";
            problems.Enqueue(problem);
            await progress.WriteLineAsync("warning: " + problem);
        }
    }

    private static async Task WaitForFullRingAsync(ClusterClient status, Uri node, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        ApiToken.Apply(http);
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(node, "/queue/stats")));
                if (document.RootElement.GetProperty("ring_members").GetArrayLength() == status.Urls.Count)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
            {
                // not yet
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        throw new InvalidOperationException($"the ring did not hold all {status.Urls.Count} nodes within {timeout.TotalSeconds:F0} s of healing.");
    }

    private static async Task WaitUntilAsync(RunRecorder recorder, TimeSpan at, CancellationToken cancel)
    {
        var left = at - recorder.Elapsed;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancel);
        }
    }

    /// <summary>A line a second on a terminal (rewritten in place), one every ten seconds into a pipe or a log.</summary>
    private static async Task ReportProgressAsync(ChaosSettings settings, RunRecorder recorder, HistoryLog history, Func<Fault?> current,
        TextWriter progress, bool live, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(live ? 1 : 10));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var fault = current();
                var line = $"{Clock(recorder.Elapsed)} of {Clock(settings.Length)}: {history.Ok + history.Failed + history.Unknown:N0} ops " +
                    $"(ok {history.Ok:N0}, failed {history.Failed:N0}, unknown {history.Unknown:N0}), {recorder.RecentTotalRate(5):F0} ops/s now, " +
                    (fault is null ? "no fault" : $"fault: {fault.Label}");
                await progress.WriteAsync(live ? "\r" + line.PadRight(Math.Max(line.Length, ConsoleWidth() - 1)) : line + Environment.NewLine);
            }
        }
        catch (OperationCanceledException)
        {
            // the run is over
        }

        if (live)
        {
            await progress.WriteLineAsync();
        }
    }

    /// <summary>The terminal's width; a terminal that reports none (0) gets no padding.</summary>
    private static int ConsoleWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string Clock(TimeSpan span) => span.ToString(span.TotalHours >= 1 ? @"h\:mm\:ss" : @"mm\:ss", CultureInfo.InvariantCulture);
}
