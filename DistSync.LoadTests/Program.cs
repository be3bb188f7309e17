using DistSync.LoadTests.Chaos;
using DistSync.LoadTests;
using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Scenario;

const string usage = """
    DistSync load tests. Start the cluster first: dotnet run -c Release --project DistSync.AppHost

    Usage: dotnet run -c Release --project DistSync.LoadTests -- <command> [options]

      scenario [--users 50] [--spawn-rate 10] [--wait 1-3s] [--minutes 1 | --seconds S] [--mix MIX]
             [--resources 10] [--keys 200] [--lock-wait-ms 0] [--urls ... | --nodes 1,3] [--report DIR]
             virtual users, as Locust runs them: each its own client id and node, looping over a weighted
             task mix (default state:3,lock:2,queue:2,cache-get:3,cache-set:1) with think time between
             tasks; a live table per request (requests, failures, 409s, median, p95, p99, average, min,
             max, current RPS) and failures grouped by message. --nodes 1,3 starts each cluster itself
             through the AppHost (dashboard on), runs the mix, stops it, and sets the runs side by side

      chaos  [--minutes 5 | --seconds S] [--workload locks,queue,cache] [--nemesis kill,pause,partition,latency,redis,clock]
             [--seed N] [--clients 6] [--report DIR]
             the fault harness: starts its own 3-node cluster through the AppHost with every peer link through a
             proxy it controls, runs clients of each workload on every node while a seeded schedule kills and
             pauses nodes (SIGKILL, SIGSTOP), partitions and delays links and kills Redis; then heals, reads the
             final state and checks the history (locks: mutual exclusion, leases, fencing, linearizable state
             reads; queue: at-least-once, nothing after its ack, dedup; cache: linearizable keys). Exit code 1 on
             any violation. The report adds availability per fault type and each violation as a timeline.
      chaos  --check DIR    the checkers again over DIR/history.jsonl

      compare A B [C ...] [--report DIR]
             report folders side by side, endpoint by endpoint: req/s, p50, p99 and ratios to A

      http   --url URL [-n 10000] [-c 50] [--method GET|POST] [--body JSON] [--max-seconds 120]
             N requests at concurrency C against one URL (the original system's benchmark)

      raft   [--levels 1,16,64] [--via leader|followers] [common options]
             committed Raft proposals/s and commit latency: each proposer renews its own lock
             (one Raft entry per renew) in a closed loop, sent to the leader or through followers

      locks  [--levels 1,10,50] [--contended-clients 10] [--wait-ms 5000] [--state-clients 50] [common options]
             uncontended acquire+release pairs/s, contended grants/s on one resource, GET /locks/state req/s

      queue  [--levels 1,10,50] [--batch-clients 10] [--batch-size 100] [--redeliveries 100] [--visibility 1] [common options]
             publish->consume->ack round trips/s, publish alone, publish batches (msgs/s), and the
             redelivery delay after a consumer dies (consumes, never acks)

      cache  [--clients 50] [--keys 100] [--write-clients 10] [--rounds 3] [common options]
             hit GETs against a bare ASP.NET Core endpoint measured in the same run, sets with 0, 1
             and 2 sharers to invalidate, and a 95/5 read-mostly mix over all nodes

      all    [--raft-levels 1,16,64] [--via leader|followers] [--lock-levels 1,10,50] [locks options] [common options]
             raft, then locks, then a Markdown table for docs/benchmarks.md with the machine and command line

    Common options:
      --urls URL,URL,...   the nodes (default http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003)
      --token TOKEN        the bearer token to send (default: DISTSYNC_TOKEN, else the admin token the
                           AppHost generated for dotnet run, read from its user secrets)
      --seconds S          measured seconds per level (default 10)
      --warmup S           unrecorded seconds before each level (default 3: the nodes' JIT settles; 0 for none)
      --max-ops N          stop a level after N operations (default 2000000)
      --report DIR         also write DIR/index.html (charts: throughput and p50/p99 over time, latency
                           histograms), report.json (every figure, the machine, the command line) and CSVs;
                           every command takes it

    The load generator runs on the same machine as the cluster unless you move it: its CPU use is
    part of what is measured.
    """;

string[] common = ["urls", "seconds", "warmup", "max-ops", ReportOutput.Option];
var loadBefore = MachineInfo.LoadAverage();
var commandLine = CommandText(args);
string[] lockOptions = ["contended-clients", "wait-ms", "state-clients"];

if (args.Length == 0 || args[0] is "--help" or "-h")
{
    Console.WriteLine(usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    // compare takes folders, with options before or after them.
    var (positional, named) = args[0] == "compare" ? SplitPositional(args.Skip(1).ToList()) : ([], [.. args.Skip(1)]);
    var options = CommandLine.Parse(named);
    ApiToken.Resolve(options.Get(ApiToken.Option));
    if (options.Get(ReportOutput.Option) is { } reportDirectory)
    {
        ReportOutput.Prepare(reportDirectory);
    }

    // With --report, what a benchmark prints is kept for the report too.
    TextWriter output = options.Get(ReportOutput.Option) is null ? Console.Out : new TranscriptWriter(Console.Out);

    // A benchmark command's end: the Markdown table where it prints one, the report if asked, 1 if anything failed.
    int Finish(string command, BenchSettings settings, IReadOnlyList<LevelResult> results, bool markdown)
    {
        if (markdown)
        {
            output.WriteLine();
            output.Write(ResultTable.Markdown(results));
        }

        ReportOutput.WriteIfAsked(options, command, commandLine, settings, results, loadBefore, output);
        return results.Any(r => r.Failed > 0) ? 1 : 0;
    }
    switch (args[0])
    {
        case "scenario":
        {
            options.OnlyAllow(ScenarioCommand.OptionNames);
            PrintPreamble(args);
            return await ScenarioCommand.RunAsync(options, commandLine, StopOnCtrlC());
        }

        case "chaos":
        {
            options.OnlyAllow(ChaosCommand.OptionNames);
            if (options.Get("check") is null)
            {
                PrintPreamble(args);
            }

            // The first Ctrl+C ends the faults early; the run still heals, checks and reports.
            return await ChaosCommand.RunAsync(options, commandLine, loadBefore, StopOnCtrlC());
        }

        case "compare":
        {
            options.OnlyAllow(ReportOutput.Option);
            if (positional.Length < 2)
            {
                throw new ArgumentException("compare needs two report folders or more: compare A B [C ...].");
            }

            var names = positional.Select(path => Path.GetFileName(Path.TrimEndingDirectorySeparator(path))).ToList();
            var runs = positional.Select((path, i) => new ReportComparison.Run(names.Count(n => n == names[i]) > 1 ? path : names[i], ReportJson.Read(path))).ToList();
            foreach (var run in runs)
            {
                Console.WriteLine($"{run.Label}: {run.Report.CommandLine} ({run.Report.StartedAt:u}, load average {run.Report.Machine.LoadAverageBefore} before)");
            }

            Console.WriteLine();
            Console.Write(ReportComparison.Markdown(runs));
            if (options.Get(ReportOutput.Option) is { } compared)
            {
                var page = Path.Combine(compared, "comparison.html");
                ReportComparison.WriteHtml(runs, [], page);
                Console.WriteLine($"comparison {Path.GetFullPath(page)}");
            }

            return 0;
        }

        case "http":
        {
            options.OnlyAllow("url", "n", "c", "method", "body", "max-seconds", ReportOutput.Option);
            var url = new Uri(options.Require("url"));
            var settings = new BenchSettings([url], TimeSpan.FromSeconds(options.Int("max-seconds", 120)), TimeSpan.Zero, options.Int("n", 10_000))
            {
                Recorder = options.Get(ReportOutput.Option) is null ? null : new RunRecorder(),
            };
            var summary = await HttpBenchmark.RunAsync(url, options.Int("n", 10_000), options.Int("c", 50), options.Get("method") ?? "GET", options.Get("body"), settings.Duration, settings.Recorder);
            Console.WriteLine($"http {options.Get("method") ?? "GET"} {url} n={options.Int("n", 10_000)} c={options.Int("c", 50)}");
            Console.WriteLine(summary);
            ReportOutput.WriteIfAsked(options, "http", commandLine, settings, [], loadBefore, Console.Out,
                $"{options.Int("n", 10_000)} requests at concurrency {options.Int("c", 50)}, at most {settings.Duration.TotalSeconds:F0} s");
            return summary.Failures == 0 ? 0 : 1;
        }

        case "raft":
        {
            options.OnlyAllow([.. common, "levels", "via"]);
            var settings = BenchSettings.From(options);
            var levels = options.IntList("levels", [1, 16, 64]);
            var via = options.Choice("via", Targets.Leader, Targets.Leader, Targets.Followers);
            using var client = new ClusterClient(settings.Urls, levels.Max() + 8);
            PrintPreamble(args, output);
            return Finish("raft", settings, await RaftBenchmark.RunAsync(client, settings, levels, via, output), markdown: false);
        }

        case "locks":
        {
            options.OnlyAllow([.. common, .. lockOptions, "levels"]);
            var settings = BenchSettings.From(options);
            var lockOpts = LockOptions(options, "levels");
            using var client = new ClusterClient(settings.Urls, Math.Max(lockOpts.Levels.Max(), Math.Max(lockOpts.ContendedClients, lockOpts.StateClients)) + 8);
            PrintPreamble(args, output);
            return Finish("locks", settings, await LocksBenchmark.RunAsync(client, settings, lockOpts, output), markdown: false);
        }

        case "queue":
        {
            options.OnlyAllow([.. common, "levels", "batch-clients", "batch-size", "redeliveries", "visibility"]);
            var settings = BenchSettings.From(options);
            var queueOptions = new QueueBenchmark.Options(options.IntList("levels", [1, 10, 50]), options.Int("batch-clients", 10), options.Int("batch-size", 100),
                options.Int("redeliveries", 100), options.Int("visibility", 1));
            using var client = new ClusterClient(settings.Urls, Math.Max(queueOptions.Levels.Max(), queueOptions.BatchClients) + 8);
            PrintPreamble(args, output);
            return Finish("queue", settings, await QueueBenchmark.RunAsync(client, settings, queueOptions, output), markdown: true);
        }

        case "cache":
        {
            options.OnlyAllow([.. common, "clients", "keys", "write-clients", "rounds"]);
            var settings = BenchSettings.From(options);
            var cacheOptions = new CacheBenchmark.Options(options.Int("clients", 50), options.Int("keys", 100), options.Int("write-clients", 10), options.Int("rounds", 3));
            using var client = new ClusterClient(settings.Urls, cacheOptions.Clients + 8);
            PrintPreamble(args, output);
            return Finish("cache", settings, await CacheBenchmark.RunAsync(client, settings, cacheOptions, output), markdown: true);
        }

        case BareServer.Command:
            await BareServer.RunAsync(options.Int("port", 0));
            return 0;

        case "all":
        {
            options.OnlyAllow([.. common, .. lockOptions, "raft-levels", "lock-levels", "via"]);
            var settings = BenchSettings.From(options);
            var raftLevels = options.IntList("raft-levels", [1, 16, 64]);
            var via = options.Choice("via", Targets.Leader, Targets.Leader, Targets.Followers);
            var lockOpts = LockOptions(options, "lock-levels");
            using var client = new ClusterClient(settings.Urls, Math.Max(raftLevels.Max(), Math.Max(lockOpts.Levels.Max(), Math.Max(lockOpts.ContendedClients, lockOpts.StateClients))) + 8);
            PrintPreamble(args, output);
            var results = new List<LevelResult>();
            results.AddRange(await RaftBenchmark.RunAsync(client, settings, raftLevels, via, output));
            results.AddRange(await LocksBenchmark.RunAsync(client, settings, lockOpts, output));
            output.WriteLine("== summary (Markdown) ==");
            output.WriteLine();
            output.WriteLine($"Machine: {MachineInfo.Describe()}; the load generator shared the machine with the three nodes and Redis; load average at the end {MachineInfo.LoadAverage()}.");
            output.WriteLine($"Command: `{commandLine}` ({settings.Describe()}; raft proposals sent via the {via}).");
            output.WriteLine();
            output.Write(ResultTable.Markdown(results));
            return Finish("all", settings, results, markdown: false);
        }

        default:
            Console.Error.WriteLine($"error: unknown command '{args[0]}'.");
            Console.Error.WriteLine(usage);
            return 2;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("stopped (Ctrl+C) before there was anything to report.");
    return 130;
}

// Folders (no leading --) apart from --name value pairs, in any order.
static (string[] Positional, string[] Named) SplitPositional(IReadOnlyList<string> args)
{
    var positional = new List<string>();
    var named = new List<string>();
    for (var i = 0; i < args.Count; i++)
    {
        if (args[i].StartsWith("--", StringComparison.Ordinal))
        {
            named.Add(args[i]);
            if (i + 1 < args.Count)
            {
                named.Add(args[++i]);
            }
        }
        else
        {
            positional.Add(args[i]);
        }
    }

    return ([.. positional], [.. named]);
}

static LocksBenchmark.Options LockOptions(CommandLine options, string levelsName) => new(
    options.IntList(levelsName, [1, 10, 50]),
    options.Int("contended-clients", 10),
    options.Int("wait-ms", 5_000),
    options.Int("state-clients", 50));

// The first Ctrl+C ends a run early and it still writes its report; a second one ends the tool, after telling any
// cluster it started to stop. The source is never disposed: the handler may still fire while the tool exits.
static CancellationToken StopOnCtrlC()
{
    var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        if (cancel.IsCancellationRequested)
        {
            ManagedCluster.StopAllNow();
            return;
        }

        e.Cancel = true;
        cancel.Cancel();
    };
    return cancel.Token;
}

static void PrintPreamble(string[] args, TextWriter? output = null)
{
    output ??= Console.Out;
    output.WriteLine($"command    {CommandText(args)}");
    output.WriteLine($"machine    {MachineInfo.Describe()}");
    if (MachineInfo.AutogroupWarning() is { } autogroups)
    {
        output.WriteLine($"warning    {autogroups}");
    }
    output.WriteLine($"note       the load generator shares these {Environment.ProcessorCount} cores with the cluster: its own CPU use lowers the numbers");
    output.WriteLine($"started    {DateTimeOffset.UtcNow:u}, load average {MachineInfo.LoadAverage()} (1/5/15 min, before the run)");
    output.WriteLine();
}

static string CommandText(string[] args) => $"dotnet run -c Release --project DistSync.LoadTests -- {string.Join(' ', ApiToken.Redact(args))}";
