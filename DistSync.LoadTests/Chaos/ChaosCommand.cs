using System.Globalization;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Chaos;

/// <summary>
/// <c>chaos</c>: a fault-harness run on a cluster this tool starts itself (the nemeses need its processes and its
/// peer links), or <c>chaos --check DIR</c>: the checkers again over a saved history. Exit code 1 on any violation, or
/// when the harness itself broke (a client or a checker threw).
/// </summary>
public static class ChaosCommand
{
    public const string Name = "chaos";

    public static readonly string[] OptionNames = ["minutes", "seconds", "workload", "nemesis", "seed", "clients", "redis", "check", ReportOutput.Option];

    public static async Task<int> RunAsync(Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var options = invocation.Options(OptionNames);
        if (options.Get("check") is null)
        {
            invocation.PrintPreamble();
        }

        // The first Ctrl+C ends the faults early; the run still heals, checks and reports.
        return await RunAsync(options, invocation.CommandText, invocation.LoadBefore, CtrlC.FirstPressCancels(ManagedCluster.StopAllNow));
    }

    public static async Task<int> RunAsync(CommandLine options, string commandLine, string loadBefore, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Get("check") is { } saved)
        {
            return Recheck(saved);
        }

        var settings = Settings(options);
        var directory = options.Get(ReportOutput.Option);
        if (directory is not null)
        {
            ReportOutput.Prepare(directory);
        }

        var folder = directory ?? Path.Combine(Path.GetTempPath(), "distsync-loadtests", "chaos-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        var transcript = new List<string>();
        var progress = new LineCollector(Console.Out, transcript);
        var result = await ChaosRun.RunAsync(settings, Path.Combine(folder, "apphost.log"), progress, live: !Console.IsOutputRedirected, cancel);

        Console.WriteLine();
        Console.WriteLine(result.Violations.Count == 0
            ? $"no violations in {result.History.Count:N0} operations ({result.History.Count(o => o.Outcome == Outcome.Ok):N0} ok, {result.History.Count(o => o.Outcome == Outcome.Failed):N0} failed, {result.History.Count(o => o.IsUnknown):N0} unknown)"
            : $"{result.Violations.Count} VIOLATION(S) in {result.History.Count:N0} operations:");
        foreach (var violation in result.Violations.Take(20))
        {
            Console.WriteLine(violation);
        }

        foreach (var problem in result.Problems)
        {
            Console.WriteLine($"harness problem: {problem}");
        }

        var report = ChaosReport.Build(result, commandLine, loadBefore, transcript);
        var availability = ChaosReport.Availability(result).Rows;
        var width = availability.Max(r => r[0].Length);
        foreach (var row in availability)
        {
            Console.WriteLine($"  availability during {row[0].PadRight(width)}: {row[4]} answered, {row[5]} ok, {row[6]} unknown");
        }

        ChaosReport.Write(result, report, folder, Console.Out);
        return result.Violations.Count == 0 && result.Problems.Count == 0 ? 0 : 1;
    }

    public static ChaosSettings Settings(CommandLine options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Get("minutes") is not null && options.Get("seconds") is not null)
        {
            throw new ArgumentException("give --minutes or --seconds, not both.");
        }

        var length = options.Get("seconds") is not null ? TimeSpan.FromSeconds(options.Int("seconds", 60)) : TimeSpan.FromMinutes(options.Int("minutes", 5));
        if (length < TimeSpan.FromSeconds(15))
        {
            throw new ArgumentException("a chaos run lasts 15 seconds at least: a fault needs a quiet spell before and after it.");
        }

        var workloads = options.Get("workload") is { } w
            ? w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList()
            : [.. ChaosSettings.AllWorkloads];
        if (workloads.Count == 0 || workloads.FirstOrDefault(n => !ChaosSettings.AllWorkloads.Contains(n)) is { } unknown)
        {
            throw new ArgumentException($"--workload takes a comma-separated list of {string.Join(", ", ChaosSettings.AllWorkloads)}{(workloads.Count == 0 ? "" : $", not '{workloads.First(n => !ChaosSettings.AllWorkloads.Contains(n))}'")}.");
        }

        // The queue needs a publisher and a consumer; one client per node covers the cluster.
        var clients = options.Int("clients", 6);
        if (clients < ChaosSettings.Nodes)
        {
            throw new ArgumentException($"--clients must be at least {ChaosSettings.Nodes}, one per node.");
        }

        var seed = options.Get("seed") is { } s
            ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new ArgumentException($"--seed takes an integer, not '{s}'.")
            : Random.Shared.Next(1, 1_000_000);
        var redis = options.Choice("redis", "single", "single", "cluster") == "cluster" ? RedisTopology.Cluster : RedisTopology.Single;
        return new ChaosSettings(length, workloads, FaultSchedule.Parse(options.Get("nemesis")), seed, clients, redis);
    }

    /// <summary>The checkers over a saved history (a report folder or the file itself).</summary>
    private static int Recheck(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, HistoryFile.FileName) : path;
        if (!File.Exists(file))
        {
            throw new ArgumentException($"--check {path}: no {HistoryFile.FileName} there.");
        }

        var history = HistoryFile.Read(file);
        var violations = ChaosRun.Check(history);
        Console.WriteLine($"{file}: {history.Count:N0} operations, {violations.Count} violation(s)");
        foreach (var violation in violations)
        {
            Console.WriteLine(violation);
        }

        return violations.Count == 0 ? 0 : 1;
    }

    /// <summary>Writes through to the console and keeps every whole line for the report's transcript.</summary>
    private sealed class LineCollector(TextWriter inner, List<string> lines) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value) => inner.Write(value);

        public override void Write(string? value) => inner.Write(value);

        public override void WriteLine(string? value)
        {
            inner.WriteLine(value);
            if (value is { Length: > 0 })
            {
                lock (lines)
                {
                    lines.Add(value);
                }
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }
    }
}
