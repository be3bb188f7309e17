using System.Diagnostics;
using System.Globalization;
using System.Text;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// How cost grows: throughput and the nodes' memory and idle CPU against the cluster's size and against how much state
/// it holds (held locks, topics, partitions of one topic, cached keys). Each size gets a cluster of its own, started
/// through the AppHost with the dashboard on; the state dimensions grow on the first (3-node) cluster, one after the
/// other, and what one dimension made stays while the next is measured (as in a real cluster, state accumulates).
/// </summary>
public static class ScaleBenchmark
{
    public const string Name = "scale";

    /// <summary>Sizes the AppHost starts.</summary>
    private static readonly int[] ClusterSizes = [1, 3, 5, 7];

    /// <summary>How long the nodes' CPU is read with no load, for the idle column.</summary>
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);

    /// <summary>A lease long enough to outlive the run: held locks must stay held while later points are measured.</summary>
    private const long HeldTtlMs = 3_600_000;

    private const int SetupWorkers = 32;

    /// <summary>
    /// The per-token rate limit (20,000 requests a second per node) out of the way: one node serves more hits than that,
    /// and the table is about what the nodes cost, not where the limiter stops a token.
    /// </summary>
    private const string RateLimitOff = "--DistSync:NodeEnvironment:DistSync__Auth__RequestsPerSecond=10000000";

    /// <summary>A warmed cluster's nodes are below this share of a core each (about 3 % when idle) before the first point is measured.</summary>
    private const double SettledCpuPercent = 8;

    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(60);

    /// <param name="WarmUp">How long each workload runs, unrecorded, on a fresh cluster before its first point; zero skips it.</param>
    public sealed record Options(IReadOnlyList<int> Sizes, IReadOnlyList<int> HeldLocks, IReadOnlyList<int> Topics, IReadOnlyList<int> Partitions, IReadOnlyList<int> Keys,
        TimeSpan WarmUp)
    {
        public void Validate()
        {
            if (Sizes.FirstOrDefault(n => !ClusterSizes.Contains(n)) is var bad and > 0)
            {
                throw new ArgumentException($"--sizes takes cluster sizes from {string.Join(", ", ClusterSizes)}, not {bad}.");
            }

            if (Sizes.Count == 0 || Sizes.Distinct().Count() != Sizes.Count)
            {
                throw new ArgumentException("--sizes names at least one size, each once.");
            }

            // The cluster's own bounds (LockLimits, TopicLimits, QueueLimits on the nodes): a point past them would only measure refusals.
            Check(HeldLocks, "held", 0, 99_000, "100,000 held resources in the cluster, less the measurement's own");
            Check(Topics, "topics", 1, 900, "1,000 topics a token may create, less the other dimensions'");
            Check(Partitions, "partitions", 1, 256, "256 partitions a topic");
            Check(Keys, "keys", 1, 1_000_000, "a million keys");
        }

        private static void Check(IReadOnlyList<int> points, string option, int min, int max, string why)
        {
            foreach (var point in points.Where(p => p < min || p > max))
            {
                throw new ArgumentException($"--{option} takes values from {min:N0} to {max:N0} ({why}), not {point:N0}.");
            }
        }
    }

    /// <summary>The nodes after a point: resident memory per node (mean and largest) and CPU with no load, per node, as a share of one core.</summary>
    public sealed record Footprint(double MeanResidentMb, double MaxResidentMb, double IdleCpuPercent);

    /// <summary>One point of one dimension: what it measured, and the nodes' footprint after it.</summary>
    public sealed record Point(string Dimension, string Value, IReadOnlyList<LevelResult> Results, Footprint Footprint);

    public static async Task<IReadOnlyList<Point>> RunAsync(BenchSettings settings, Options options, string logDir, TextWriter output, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        output.WriteLine("== scale: throughput, memory and idle CPU against cluster size and the state the cluster holds ==");
        output.WriteLine($"  timing     {settings.Describe()}; idle CPU read over {IdleWindow.TotalSeconds:F0} s with no load after each point");
        output.WriteLine($"  sizes      {string.Join(", ", options.Sizes)} nodes, each a cluster of its own (AppHost, dashboard on): lock pairs (10 clients), queue round trips (10), cache hits (50)");
        output.WriteLine($"  state      on the {options.Sizes[0]}-node cluster, growing in turn: held locks {Join(options.HeldLocks)} (lock pairs, 10 clients);");
        output.WriteLine($"             idle topics of 8 partitions {Join(options.Topics)} and one topic of {Join(options.Partitions)} partitions (queue round trips, 10 clients);");
        output.WriteLine($"             cached keys {Join(options.Keys)}, each read once on every node (cache hits over random keys, 50 clients)");
        output.WriteLine("  memory     each node's resident memory (VmRSS) after the point; the state made by earlier points stays");
        output.WriteLine("  limits     the per-token rate limit raised out of the way (DistSync__Auth__RequestsPerSecond): one node serves more hits than its default");

        var points = new List<Point>();
        foreach (var size in options.Sizes)
        {
            if (cancel.IsCancellationRequested)
            {
                break;
            }

            output.WriteLine($"-- {size} node{(size == 1 ? "" : "s")} --");
            await using var cluster = await ManagedCluster.StartAsync(size, Path.Combine(logDir, $"apphost-{size}.log"), output, cancel, _ => [RateLimitOff]);
            using var client = new ClusterClient(cluster.Urls, SetupWorkers + 8);
            var run = new Run(cluster, client, settings with { Urls = cluster.Urls }, output, cancel);
            await run.DiscoverAsync();
            await run.WarmUpAsync(options.WarmUp);
            points.Add(await run.SizeAsync(size));
            if (size != options.Sizes[0])
            {
                continue;
            }

            foreach (var held in options.HeldLocks)
            {
                points.Add(await run.HeldLocksAsync(held));
            }

            foreach (var topics in options.Topics)
            {
                points.Add(await run.TopicsAsync(topics));
            }

            foreach (var partitions in options.Partitions)
            {
                points.Add(await run.PartitionsAsync(partitions));
            }

            foreach (var keys in options.Keys)
            {
                points.Add(await run.KeysAsync(keys));
            }
        }

        return points;
    }

    /// <summary>The points as a Markdown table: one row per measured level, the footprint on the point's first row.</summary>
    public static string Markdown(IReadOnlyList<Point> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var text = new StringBuilder();
        text.AppendLine("| dimension | point | workload | ops/s | p50 ms | p99 ms | failed | node resident MB, mean / max | idle node CPU, % of a core |");
        text.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var point in points)
        {
            for (var i = 0; i < point.Results.Count; i++)
            {
                var r = point.Results[i];
                var footprint = i == 0
                    ? $"{point.Footprint.MeanResidentMb:F0} / {point.Footprint.MaxResidentMb:F0} | {point.Footprint.IdleCpuPercent:F1}"
                    : " | ";
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {(i == 0 ? point.Dimension : "")} | {(i == 0 ? point.Value : "")} | {r.Benchmark} {r.Level} | {r.OpsPerSecond:N0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.Failed} | {footprint} |");
            }
        }

        return text.ToString();
    }

    private static string Join(IReadOnlyList<int> points) => points.Count == 0 ? "(none)" : string.Join(", ", points.Select(p => p.ToString("N0", CultureInfo.InvariantCulture)));

    /// <summary>One cluster's points; what a dimension made stays made for the next.</summary>
    private sealed class Run(ManagedCluster cluster, ClusterClient client, BenchSettings settings, TextWriter output, CancellationToken cancel)
    {
        private readonly ClusterProcesses _processes = new(cluster.DataDir);
        private IReadOnlyList<Uri> _targets = [];
        private int _held;
        private int _topics;
        private int _keys;

        public async Task DiscoverAsync() =>
            _targets = Targets.Select(await Targets.DiscoverAsync(client, TimeSpan.FromSeconds(30)), Targets.All);

        /// <summary>
        /// Each workload once, unrecorded: a fresh node's hot paths are first-tier JIT code for its first tens of seconds
        /// under load, at half the speed they reach (and its idle CPU is the compiler's), so the first point would measure that.
        /// </summary>
        public async Task WarmUpAsync(TimeSpan length)
        {
            if (length <= TimeSpan.Zero)
            {
                return;
            }

            // Every node compiles its own hot paths on the same cores: a larger cluster needs longer.
            length *= Math.Max(1.0, cluster.Urls.Count / 3.0);
            output.WriteLine($"  warming up: each workload for {length.TotalSeconds:F0} s, not recorded");
            var warm = settings with { Duration = length, Warmup = TimeSpan.Zero, Recorder = null };
            await LockPairsAsync(warm);
            await RoundTripsAsync("scale-warm", warm);
            await HitsAsync(await SetKeysAsync("scale-warm", 0, 100), warm);

            // The JIT's background compiles (more of them the more nodes share the cores) and a cluster stopped just before
            // can still hold the CPU: wait, within a bound, for the nodes to be idle before the first point.
            var nodes = NodePids();
            var waited = Stopwatch.StartNew();
            double idle;
            while ((idle = await IdleCpuPercentAsync(nodes, TimeSpan.FromSeconds(2))) > SettledCpuPercent && waited.Elapsed < MaxSettle)
            {
                output.WriteLine($"  waiting for the nodes to settle: {idle:F1} % of a core each");
            }
        }

        public async Task<Point> SizeAsync(int size)
        {
            var keys = await SetKeysAsync("scale-size", 0, 100);
            List<LevelResult> results =
            [
                await LockPairsAsync(settings),
                await RoundTripsAsync($"scale-size-{size}", settings),
                await HitsAsync(keys, settings),
            ];
            return await PointAsync("cluster size", $"{size} nodes", results);
        }

        public async Task<Point> HeldLocksAsync(int held)
        {
            if (held > _held)
            {
                await SetUpAsync($"held locks to {held:N0}", _held, held, (j, ct) => client.PostAsync(new Uri(Target(j), "/locks/acquire"),
                    LockBodies.Acquire($"scale-held-{j}", $"scale-holder-{j % 100}", "exclusive", 0, HeldTtlMs), ct));
                _held = held;
            }

            return await PointAsync("held locks", held.ToString("N0", CultureInfo.InvariantCulture), [await LockPairsAsync(settings)]);
        }

        public async Task<Point> TopicsAsync(int topics)
        {
            if (topics > _topics)
            {
                await SetUpAsync($"topics to {topics:N0}", _topics, topics, (j, ct) => client.PostAsync(new Uri(Target(j), "/queue/publish"), Publish($"scale-topic-{j}", null), ct));
                _topics = topics;
            }

            return await PointAsync("idle topics (8 partitions each)", topics.ToString("N0", CultureInfo.InvariantCulture), [await RoundTripsAsync($"scale-topics-{topics}", settings)]);
        }

        public async Task<Point> PartitionsAsync(int partitions)
        {
            var topic = $"scale-partitions-{partitions}";
            var created = await client.PostAsync(new Uri(Target(0), "/queue/publish"), Publish(topic, partitions), cancel);
            if (created.Kind != OpKind.Ok)
            {
                throw new InvalidOperationException($"Creating topic {topic} with {partitions} partitions failed: {created.Detail}.");
            }

            return await PointAsync("partitions of the measured topic", partitions.ToString("N0", CultureInfo.InvariantCulture), [await RoundTripsAsync(topic, settings)]);
        }

        public async Task<Point> KeysAsync(int keys)
        {
            var names = await SetKeysAsync("scale-keys", Math.Min(_keys, keys), keys);
            _keys = Math.Max(_keys, keys);
            return await PointAsync("cached keys", keys.ToString("N0", CultureInfo.InvariantCulture), [await HitsAsync(names, settings)]);
        }

        /// <summary>
        /// Keys <paramref name="prefix"/>-0 to -<paramref name="count"/> (those from <paramref name="from"/> on set now, then each
        /// read once on every node, so that every node holds a line for each).
        /// </summary>
        private async Task<IReadOnlyList<string>> SetKeysAsync(string prefix, int from, int count)
        {
            var keys = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToArray();
            if (count > from)
            {
                await SetUpAsync($"cached keys to {count:N0}", from, count, (j, ct) => client.PostAsync(new Uri(Target(j), "/cache/set"), JsonBody.Object(w =>
                {
                    w.WriteString("key", keys[j]);
                    w.WritePropertyName("value");
                    w.WriteRawValue("{\"user\":17,\"name\":\"Ada\",\"roles\":[\"admin\",\"dev\"]}");
                }), ct));
                await SetUpAsync($"reads of {count - from:N0} keys on each of {_targets.Count} nodes", from * _targets.Count, count * _targets.Count,
                    (j, ct) => client.GetAsync(new Uri(_targets[j % _targets.Count], $"/cache/get?key={keys[j / _targets.Count]}"), ct));
            }

            return keys;
        }

        private Task<LevelResult> LockPairsAsync(BenchSettings level) =>
            LocksBenchmark.PairsAsync(client, level, _targets, "lock pairs", "10 clients", 10, i => $"scale-lock-{i}", 0, rotate: true);

        private Task<LevelResult> RoundTripsAsync(string topic, BenchSettings level) => QueueBenchmark.RoundTripsAsync(client, level, _targets, topic, 10);

        private Task<LevelResult> HitsAsync(IReadOnlyList<string> keys, BenchSettings level)
        {
            var urls = _targets.Select(t => keys.Select(k => new Uri(t, $"/cache/get?key={k}")).ToArray()).ToArray();
            return TimedRunner.RunAsync("cache hits", "50 clients", 50, level,
                (i, ct) => client.GetAsync(urls[i % urls.Length][Random.Shared.Next(keys.Count)], ct));
        }

        private async Task<Point> PointAsync(string dimension, string value, IReadOnlyList<LevelResult> results)
        {
            var footprint = await FootprintAsync();
            output.WriteLine($"  {dimension} {value}: {string.Join("; ", results.Select(r => $"{r.Benchmark} {r.OpsPerSecond:N0}/s (p99 {r.P99Ms:F1} ms, {r.Failed} failed)"))}; "
                + $"nodes {footprint.MeanResidentMb:F0} MB mean, {footprint.MaxResidentMb:F0} MB max; idle {footprint.IdleCpuPercent:F1} % of a core each");
            return new Point(dimension, value, results, footprint);
        }

        /// <summary>Each node's resident memory now, then its CPU over <see cref="IdleWindow"/> with nothing sent.</summary>
        private async Task<Footprint> FootprintAsync()
        {
            var nodes = NodePids();
            var resident = nodes.Select(pid => (LinuxProcesses.ResidentBytes(pid) ?? 0) / 1048576.0).ToList();
            return new Footprint(resident.Average(), resident.Max(), await IdleCpuPercentAsync(nodes, IdleWindow));
        }

        /// <summary>The nodes' mean CPU over <paramref name="window"/>, as a share of one core.</summary>
        private async Task<double> IdleCpuPercentAsync(IReadOnlyList<int> nodes, TimeSpan window)
        {
            var before = nodes.Select(pid => LinuxProcesses.CpuTime(pid) ?? TimeSpan.Zero).ToList();
            var clock = Stopwatch.StartNew();
            await Task.Delay(window, cancel);
            var used = nodes.Select((pid, i) => ((LinuxProcesses.CpuTime(pid) ?? before[i]) - before[i]).TotalSeconds).Average();
            return 100 * used / clock.Elapsed.TotalSeconds;
        }

        /// <summary>The node processes themselves (not their launchers), found by their data folders.</summary>
        private List<int> NodePids()
        {
            var nodes = Enumerable.Range(1, cluster.Urls.Count).Select(i => _processes.Node($"node{i}")).Where(p => p.Count > 0).Select(p => p[^1]).ToList();
            return nodes.Count > 0 ? nodes : throw new InvalidOperationException($"No node process found for the cluster in {cluster.DataDir}.");
        }

        /// <summary>Operations <paramref name="from"/>..<paramref name="to"/> by <see cref="SetupWorkers"/> workers, with progress every 2 s; any failure stops the run.</summary>
        private async Task SetUpAsync(string what, int from, int to, Func<int, CancellationToken, Task<OpResult>> operation)
        {
            var done = 0;
            var clock = Stopwatch.StartNew();
            using var progress = new Timer(_ => output.WriteLine($"  setting up {what}: {Volatile.Read(ref done):N0} of {to - from:N0} ({Volatile.Read(ref done) / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s)"),
                null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
            await Parallel.ForEachAsync(Enumerable.Range(from, to - from), new ParallelOptions { MaxDegreeOfParallelism = SetupWorkers, CancellationToken = cancel }, async (j, ct) =>
            {
                var result = await operation(j, ct);
                if (result.Kind != OpKind.Ok)
                {
                    throw new InvalidOperationException($"Setting up {what} failed at #{j}: {result.Detail}.");
                }

                Interlocked.Increment(ref done);
            });
            output.WriteLine($"  set up {what}: {to - from:N0} in {clock.Elapsed.TotalSeconds:F1} s");
        }

        private Uri Target(int j) => _targets[j % _targets.Count];

        private static byte[] Publish(string topic, int? partitions) => JsonBody.Object(w =>
        {
            w.WriteString("topic", topic);
            if (partitions is { } p)
            {
                w.WriteNumber("partitions", p);
            }

            w.WritePropertyName("payload");
            w.WriteRawValue("{\"order\":17}");
        });
    }
}
