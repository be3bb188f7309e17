using DistSync.Client;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The benchmark commands, each against a running cluster: <c>http</c>, <c>raft</c>, <c>locks</c>, <c>queue</c>,
/// <c>cache</c> and <c>all</c>. Each reads its options, prints its table, writes a report when asked and ends with
/// exit code 1 if any operation failed.
/// </summary>
public static class BenchmarkCommand
{
    public static readonly IReadOnlyList<string> Names = ["http", RaftBenchmark.Name, "locks", "queue", "cache", "all", ScaleBenchmark.Name];

    /// <summary>What every benchmark against the cluster takes (<c>http</c> names one URL instead).</summary>
    private static readonly string[] Common = ["urls", "seconds", "warmup", "max-ops", ReportOutput.Option];

    private static readonly string[] LockOptionNames = ["contended-clients", "wait-ms", "state-clients"];

    /// <summary>What the benchmarks with a <c>--driver</c> take beside their own options.</summary>
    private static readonly string[] Driven = [.. Common, Drivers.Option];

    public static Task<int> RunAsync(Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return invocation.Command switch
        {
            "http" => HttpAsync(invocation),
            RaftBenchmark.Name => RaftAsync(invocation),
            "locks" => LocksAsync(invocation),
            "queue" => QueueAsync(invocation),
            "cache" => CacheAsync(invocation),
            "all" => AllAsync(invocation),
            ScaleBenchmark.Name => ScaleAsync(invocation),
            _ => throw new ArgumentException($"'{invocation.Command}' is not a benchmark; they are {string.Join(", ", Names)}."),
        };
    }

    private static async Task<int> HttpAsync(Invocation invocation)
    {
        var (options, _) = Start(invocation, "url", "n", "c", "method", "body", "max-seconds", ReportOutput.Option);
        var url = new Uri(options.Require("url"));
        var settings = new BenchSettings([url], TimeSpan.FromSeconds(options.Int("max-seconds", 120)), TimeSpan.Zero, options.Int("n", 10_000))
        {
            Recorder = options.Get(ReportOutput.Option) is null ? null : new RunRecorder(),
        };
        var summary = await HttpBenchmark.RunAsync(url, options.Int("n", 10_000), options.Int("c", 50), options.Get("method") ?? "GET", options.Get("body"), settings.Duration, settings.Recorder);
        Console.WriteLine($"http {options.Get("method") ?? "GET"} {url} n={options.Int("n", 10_000)} c={options.Int("c", 50)}");
        Console.WriteLine(summary);
        BenchmarkReport.WriteIfAsked(options, "http", invocation.CommandText, settings, [], invocation.LoadBefore, Console.Out,
            $"{options.Int("n", 10_000)} requests at concurrency {options.Int("c", 50)}, at most {settings.Duration.TotalSeconds:F0} s");
        return summary.Failures == 0 ? 0 : 1;
    }

    private static async Task<int> RaftAsync(Invocation invocation)
    {
        var (options, output) = Start(invocation, [.. Common, "levels", "via"]);
        var settings = BenchSettings.From(options);
        var levels = options.IntList("levels", [1, 16, 64]);
        var via = options.Choice("via", Targets.Leader, Targets.Leader, Targets.Followers);
        using var client = new ClusterClient(settings.Urls, levels.Max() + 8);
        invocation.PrintPreamble(output);
        var results = await RaftBenchmark.RunAsync(client, settings, levels, via, output);
        return Finish(invocation, options, output, settings, results, markdown: false);
    }

    private static async Task<int> LocksAsync(Invocation invocation)
    {
        var (options, output) = Start(invocation, [.. Driven, .. LockOptionNames, "levels"]);
        var settings = Driver(options, BenchSettings.From(options));
        var lockOptions = LockOptions(options, "levels");
        using var client = new ClusterClient(settings.Urls, Math.Max(lockOptions.Levels.Max(), Math.Max(lockOptions.ContendedClients, lockOptions.StateClients)) + 8);
        await using var app = AppClient(settings);
        invocation.PrintPreamble(output);
        var results = await LocksBenchmark.RunAsync(client, app, settings, lockOptions, output);
        return Finish(invocation, options, output, settings, results, markdown: false);
    }

    private static async Task<int> QueueAsync(Invocation invocation)
    {
        var (options, output) = Start(invocation, [.. Driven, "levels", "batch-clients", "batch-size", "redeliveries", "visibility"]);
        var settings = Driver(options, BenchSettings.From(options));
        var queueOptions = new QueueBenchmark.Options(options.IntList("levels", [1, 10, 50]), options.Int("batch-clients", 10), options.Int("batch-size", 100),
            options.Int("redeliveries", 100), options.Int("visibility", 1));
        using var client = new ClusterClient(settings.Urls, Math.Max(queueOptions.Levels.Max(), queueOptions.BatchClients) + 8);
        await using var app = AppClient(settings);
        invocation.PrintPreamble(output);
        var results = await QueueBenchmark.RunAsync(client, app, settings, queueOptions, output);
        return Finish(invocation, options, output, settings, results, markdown: true);
    }

    private static async Task<int> CacheAsync(Invocation invocation)
    {
        var (options, output) = Start(invocation, [.. Driven, "clients", "keys", "write-clients", "rounds", "bare-telemetry"]);
        var settings = Driver(options, BenchSettings.From(options));
        var cacheOptions = new CacheBenchmark.Options(options.Int("clients", 50), options.Int("keys", 100), options.Int("write-clients", 10), options.Int("rounds", 3),
            options.Choice("bare-telemetry", "on", "on", "off") == "on");
        using var client = new ClusterClient(settings.Urls, cacheOptions.Clients + 8);
        await using var app = AppClient(settings);
        invocation.PrintPreamble(output);
        var results = await CacheBenchmark.RunAsync(client, app, settings, cacheOptions, output);
        return Finish(invocation, options, output, settings, results, markdown: true);
    }

    /// <summary>raft, then locks, then a Markdown table for docs/benchmarks.md with the machine and command line.</summary>
    private static async Task<int> AllAsync(Invocation invocation)
    {
        var (options, output) = Start(invocation, [.. Driven, .. LockOptionNames, "raft-levels", "lock-levels", "via"]);
        var settings = BenchSettings.From(options);
        var lockSettings = Driver(options, settings); // raft renews through raw requests: the client holds locks by session, with nothing to renew
        var raftLevels = options.IntList("raft-levels", [1, 16, 64]);
        var via = options.Choice("via", Targets.Leader, Targets.Leader, Targets.Followers);
        var lockOptions = LockOptions(options, "lock-levels");
        using var client = new ClusterClient(settings.Urls, Math.Max(raftLevels.Max(), Math.Max(lockOptions.Levels.Max(), Math.Max(lockOptions.ContendedClients, lockOptions.StateClients))) + 8);
        await using var app = AppClient(lockSettings);
        invocation.PrintPreamble(output);
        var results = new List<LevelResult>();
        results.AddRange(await RaftBenchmark.RunAsync(client, settings, raftLevels, via, output));
        results.AddRange(await LocksBenchmark.RunAsync(client, app, lockSettings, lockOptions, output));
        output.WriteLine("== summary (Markdown) ==");
        output.WriteLine();
        output.WriteLine($"Machine: {MachineInfo.Describe()}; the load generator shared the machine with the three nodes and Redis; load average at the end {MachineInfo.LoadAverage()}.");
        output.WriteLine($"Command: `{invocation.CommandText}` ({settings.Describe()}; raft proposals sent via the {via}; locks through the {lockSettings.Driver} driver).");
        output.WriteLine();
        output.Write(ResultTable.Markdown(results));
        return Finish(invocation, options, output, lockSettings, results, markdown: false);
    }

    /// <summary>
    /// scale: clusters of each size started here, the state dimensions grown on the first, then a Markdown table for
    /// docs/benchmarks.md. Raw HTTP throughout: it measures the nodes, not the client.
    /// </summary>
    private static async Task<int> ScaleAsync(Invocation invocation)
    {
        var options = invocation.Options(["seconds", "warmup", "max-ops", "sizes", "held", "topics", "partitions", "keys", "cluster-warmup"]);
        var settings = new BenchSettings([], TimeSpan.FromSeconds(options.Int("seconds", 5)), TimeSpan.FromSeconds(options.NonNegativeInt("warmup", 2)), options.Int("max-ops", 2_000_000));
        var scaleOptions = new ScaleBenchmark.Options(options.IntList("sizes", [3, 5, 7]), options.IntList("held", [1_000, 10_000, 99_000]),
            options.IntList("topics", [10, 100, 900]), options.IntList("partitions", [8, 64, 256]), options.IntList("keys", [1_000, 10_000, 100_000]),
            TimeSpan.FromSeconds(options.NonNegativeInt("cluster-warmup", 10)));
        var logDir = Path.Combine(Path.GetTempPath(), "distsync-loadtests", "scale-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));
        invocation.PrintPreamble(Console.Out);
        var points = await ScaleBenchmark.RunAsync(settings, scaleOptions, logDir, Console.Out, CtrlC.FirstPressCancels(ManagedCluster.StopAllNow));
        Console.WriteLine();
        Console.WriteLine("== summary (Markdown) ==");
        Console.WriteLine();
        Console.WriteLine($"Machine: {MachineInfo.Describe()}; load average at the end {MachineInfo.LoadAverage()}. Command: `{invocation.CommandText}` ({settings.Describe()}; raw HTTP). AppHost logs: {logDir}.");
        Console.WriteLine();
        Console.Write(ScaleBenchmark.Markdown(points));
        return points.SelectMany(p => p.Results).Any(r => r.Failed > 0) ? 1 : 0;
    }

    /// <summary>The command's options, its report folder checked, and where it prints: with --report, what it prints is kept for the report too.</summary>
    private static (CommandLine Options, TextWriter Output) Start(Invocation invocation, params string[] allowed)
    {
        var options = invocation.Options(allowed);
        if (options.Get(ReportOutput.Option) is not { } directory)
        {
            return (options, Console.Out);
        }

        ReportOutput.Prepare(directory);
        return (options, new TranscriptWriter(Console.Out));
    }

    /// <summary>A benchmark command's end: the Markdown table where it prints one, the report if asked, 1 if anything failed.</summary>
    private static int Finish(Invocation invocation, CommandLine options, TextWriter output, BenchSettings settings, IReadOnlyList<LevelResult> results, bool markdown)
    {
        if (markdown)
        {
            output.WriteLine();
            output.Write(ResultTable.Markdown(results));
        }

        BenchmarkReport.WriteIfAsked(options, invocation.Command, invocation.CommandText, settings, results, invocation.LoadBefore, output);
        return results.Any(r => r.Failed > 0) ? 1 : 0;
    }

    /// <summary>The settings with <c>--driver</c> (default <see cref="Drivers.Default"/>).</summary>
    private static BenchSettings Driver(CommandLine options, BenchSettings settings) =>
        settings with { Driver = options.Choice(Drivers.Option, Drivers.Default, Drivers.All) };

    /// <summary>
    /// The one client the client driver's workers share, as an app's requests share one (each lock hold is still a
    /// holder of its own); none for the http driver.
    /// </summary>
    private static DistSyncClient? AppClient(BenchSettings settings) =>
        settings.Driver == Drivers.Client ? AppClients.Create(settings.Urls) : null;

    private static LocksBenchmark.Options LockOptions(CommandLine options, string levelsName) => new(
        options.IntList(levelsName, [1, 10, 50]),
        options.Int("contended-clients", 10),
        options.Int("wait-ms", 5_000),
        options.Int("state-clients", 50));
}
