using DistSync.LoadTests;

const string usage = """
    DistSync load tests. Start the cluster first: dotnet run -c Release --project DistSync.AppHost

    Usage: dotnet run -c Release --project DistSync.LoadTests -- <command> [options]

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
             raft, then locks, then a Markdown table for the README with the machine and command line

    Common options:
      --urls URL,URL,...   the nodes (default http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003)
      --seconds S          measured seconds per level (default 10)
      --warmup S           unrecorded seconds before each level (default 3: the nodes' JIT settles; 0 for none)
      --max-ops N          stop a level after N operations (default 2000000)

    The load generator runs on the same machine as the cluster unless you move it: its CPU use is
    part of what is measured.
    """;

string[] common = ["urls", "seconds", "warmup", "max-ops"];
string[] lockOptions = ["contended-clients", "wait-ms", "state-clients"];

if (args.Length == 0 || args[0] is "--help" or "-h")
{
    Console.WriteLine(usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var options = CommandLine.Parse(args.Skip(1));
    switch (args[0])
    {
        case "http":
            options.OnlyAllow("url", "n", "c", "method", "body", "max-seconds");
            var url = new Uri(options.Require("url"));
            var summary = await HttpBenchmark.RunAsync(url, options.Int("n", 10_000), options.Int("c", 50), options.Get("method") ?? "GET", options.Get("body"), TimeSpan.FromSeconds(options.Int("max-seconds", 120)));
            Console.WriteLine($"http {options.Get("method") ?? "GET"} {url} n={options.Int("n", 10_000)} c={options.Int("c", 50)}");
            Console.WriteLine(summary);
            return summary.Failures == 0 ? 0 : 1;
        case "raft":
        {
            options.OnlyAllow([.. common, "levels", "via"]);
            var settings = BenchSettings.From(options);
            var levels = options.IntList("levels", [1, 16, 64]);
            var via = options.Choice("via", Targets.Leader, Targets.Leader, Targets.Followers);
            using var client = new ClusterClient(settings.Urls, levels.Max() + 8);
            PrintPreamble(args);
            var results = await RaftBenchmark.RunAsync(client, settings, levels, via, Console.Out);
            return results.Any(r => r.Failed > 0) ? 1 : 0;
        }

        case "locks":
        {
            options.OnlyAllow([.. common, .. lockOptions, "levels"]);
            var settings = BenchSettings.From(options);
            var lockOpts = LockOptions(options, "levels");
            using var client = new ClusterClient(settings.Urls, Math.Max(lockOpts.Levels.Max(), Math.Max(lockOpts.ContendedClients, lockOpts.StateClients)) + 8);
            PrintPreamble(args);
            var results = await LocksBenchmark.RunAsync(client, settings, lockOpts, Console.Out);
            return results.Any(r => r.Failed > 0) ? 1 : 0;
        }

        case "queue":
        {
            options.OnlyAllow([.. common, "levels", "batch-clients", "batch-size", "redeliveries", "visibility"]);
            var settings = BenchSettings.From(options);
            var queueOptions = new QueueBenchmark.Options(options.IntList("levels", [1, 10, 50]), options.Int("batch-clients", 10), options.Int("batch-size", 100),
                options.Int("redeliveries", 100), options.Int("visibility", 1));
            using var client = new ClusterClient(settings.Urls, Math.Max(queueOptions.Levels.Max(), queueOptions.BatchClients) + 8);
            PrintPreamble(args);
            var results = await QueueBenchmark.RunAsync(client, settings, queueOptions, Console.Out);
            Console.WriteLine();
            Console.Write(ResultTable.Markdown(results));
            return results.Any(r => r.Failed > 0) ? 1 : 0;
        }

        case "cache":
        {
            options.OnlyAllow([.. common, "clients", "keys", "write-clients", "rounds"]);
            var settings = BenchSettings.From(options);
            var cacheOptions = new CacheBenchmark.Options(options.Int("clients", 50), options.Int("keys", 100), options.Int("write-clients", 10), options.Int("rounds", 3));
            using var client = new ClusterClient(settings.Urls, cacheOptions.Clients + 8);
            PrintPreamble(args);
            var results = await CacheBenchmark.RunAsync(client, settings, cacheOptions, Console.Out);
            Console.WriteLine();
            Console.Write(ResultTable.Markdown(results));
            return results.Any(r => r.Failed > 0) ? 1 : 0;
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
            PrintPreamble(args);
            var results = new List<LevelResult>();
            results.AddRange(await RaftBenchmark.RunAsync(client, settings, raftLevels, via, Console.Out));
            results.AddRange(await LocksBenchmark.RunAsync(client, settings, lockOpts, Console.Out));
            Console.WriteLine("== summary (Markdown) ==");
            Console.WriteLine();
            Console.WriteLine($"Machine: {MachineInfo.Describe()}; the load generator shared the machine with the three nodes and Redis; load average at the end {MachineInfo.LoadAverage()}.");
            Console.WriteLine($"Command: `{CommandText(args)}` ({settings.Describe()}; raft proposals sent via the {via}).");
            Console.WriteLine();
            Console.Write(ResultTable.Markdown(results));
            return results.Any(r => r.Failed > 0) ? 1 : 0;
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

static LocksBenchmark.Options LockOptions(CommandLine options, string levelsName) => new(
    options.IntList(levelsName, [1, 10, 50]),
    options.Int("contended-clients", 10),
    options.Int("wait-ms", 5_000),
    options.Int("state-clients", 50));

static void PrintPreamble(string[] args)
{
    Console.WriteLine($"command    {CommandText(args)}");
    Console.WriteLine($"machine    {MachineInfo.Describe()}");
    if (MachineInfo.AutogroupWarning() is { } autogroups)
    {
        Console.WriteLine($"warning    {autogroups}");
    }
    Console.WriteLine($"note       the load generator shares these {Environment.ProcessorCount} cores with the cluster: its own CPU use lowers the numbers");
    Console.WriteLine($"started    {DateTimeOffset.UtcNow:u}, load average {MachineInfo.LoadAverage()} (1/5/15 min, before the run)");
    Console.WriteLine();
}

static string CommandText(string[] args) => $"dotnet run -c Release --project DistSync.LoadTests -- {string.Join(' ', args)}";
