using System.Globalization;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;
using Spectre.Console;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// <c>scenario</c>: the multi-user run against the given nodes, or with <c>--nodes 1,3</c> against clusters this tool
/// starts one after the other, reported side by side with what replication costs each request.
/// </summary>
public static class ScenarioCommand
{
    public const string Name = "scenario";

    public static readonly string[] OptionNames = [.. ScenarioOptions.OptionNames, "urls", "nodes", ReportOutput.Option];

    /// <summary>Node counts the AppHost runs.</summary>
    private static readonly int[] ClusterSizes = [1, 3, 5, 7];

    public static async Task<int> RunAsync(Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var options = invocation.Options(OptionNames);
        invocation.PrintPreamble();
        return await RunAsync(options, invocation.CommandText, CtrlC.FirstPressCancels(ManagedCluster.StopAllNow));
    }

    public static async Task<int> RunAsync(CommandLine options, string commandLine, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        var scenario = ScenarioOptions.From(options);
        var directory = options.Get(ReportOutput.Option);
        if (directory is not null)
        {
            ReportOutput.Prepare(directory);
        }

        if (options.Get("nodes") is null)
        {
            var report = await RunOnceAsync(options.Urls(), scenario, commandLine, cancel);
            if (directory is not null)
            {
                ReportOutput.Write(report, directory, Console.Out);
            }

            return report.Endpoints.Any(e => e.Failed > 0) ? 1 : 0;
        }

        if (options.Get("urls") is not null)
        {
            throw new ArgumentException("--nodes starts clusters of its own; leave out --urls (or leave out --nodes to use a running cluster).");
        }

        // Smallest first: it is the baseline the larger clusters are compared with.
        IReadOnlyList<int> sizes = [.. options.IntList("nodes", []).Order()];
        if (sizes.FirstOrDefault(n => !ClusterSizes.Contains(n)) is var bad and > 0)
        {
            throw new ArgumentException($"--nodes takes cluster sizes from {string.Join(", ", ClusterSizes)}, not {bad}.");
        }

        if (sizes.Distinct().Count() != sizes.Count)
        {
            throw new ArgumentException("--nodes names a size twice.");
        }

        var runs = new List<ReportComparison.Run>();
        foreach (var size in sizes)
        {
            if (cancel.IsCancellationRequested)
            {
                break;
            }

            var label = $"{size} node{(size == 1 ? "" : "s")}";
            var folder = Path.Combine(directory ?? Path.Combine(Path.GetTempPath(), "distsync-loadtests", "scenario-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)), $"nodes-{size}");
            Console.WriteLine($"== {label} ==");
            RunReport report;
            var cluster = await ManagedCluster.StartAsync(size, Path.Combine(folder, "apphost.log"), Console.Out, cancel);
            try
            {
                report = await RunOnceAsync(cluster.Urls, scenario, commandLine, cancel);
            }
            finally
            {
                Console.WriteLine("stopping the cluster ...");
                await cluster.DisposeAsync();
            }

            if (directory is not null)
            {
                ReportOutput.Write(report, folder, Console.Out);
            }

            runs.Add(new ReportComparison.Run(label, report));
            Console.WriteLine();
        }

        if (runs.Count > 1)
        {
            var notes = ReplicationNotes(runs);
            Console.WriteLine("== side by side ==");
            Console.WriteLine();
            Console.Write(ReportComparison.Markdown(runs));
            Console.WriteLine();
            foreach (var note in notes)
            {
                Console.WriteLine($"- {note}");
            }

            if (directory is not null)
            {
                var page = Path.Combine(directory, "comparison.html");
                ReportComparison.WriteHtml(runs, notes, page);
                await File.WriteAllTextAsync(Path.Combine(directory, "comparison.md"), ReportComparison.Markdown(runs) + Environment.NewLine + string.Join(Environment.NewLine, notes.Select(n => $"- {n}")) + Environment.NewLine, CancellationToken.None);
                Console.WriteLine($"comparison {Path.GetFullPath(page)} (and comparison.md)");
            }
        }

        return runs.Any(r => r.Report.Endpoints.Any(e => e.Failed > 0)) ? 1 : 0;
    }

    /// <summary>
    /// For each request replication touches, its median on the first (smallest) cluster and on each larger one, and what the
    /// difference pays for (<see cref="ScenarioTasks.ReplicationCost"/>).
    /// </summary>
    public static IReadOnlyList<string> ReplicationNotes(IReadOnlyList<ReportComparison.Run> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var notes = new List<string>
        {
            "Every run was started by this tool on this machine, with the dashboard on: the nodes share its cores with each other, with Redis and with this generator, so a larger cluster also means more work for the same cores. With think time the users, not the cluster, set the request rate; latency is where replication shows.",
        };
        foreach (var row in ReportComparison.Rows(runs))
        {
            if (ScenarioTasks.ReplicationCost(row.Endpoint) is not { } cost || row.Runs[0] is not { Ok: > 0 } baseline)
            {
                continue;
            }

            var others = row.Runs.Select((e, i) => (e, i)).Skip(1).Where(x => x.e is { Ok: > 0 })
                .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.e!.P50Ms:F2} ms on {runs[x.i].Label} ({x.e.P50Ms - baseline.P50Ms:+0.00;-0.00} ms)"));
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{row.Endpoint}: p50 {baseline.P50Ms:F2} ms on {runs[0].Label}, {string.Join(", ", others)}. What replication adds: {cost}."));
        }

        return notes;
    }

    private static async Task<RunReport> RunOnceAsync(IReadOnlyList<Uri> urls, ScenarioOptions scenario, string commandLine, CancellationToken cancel)
    {
        var loadBefore = MachineInfo.LoadAverage();
        // Finds the nodes and sends the users' lock-state reads (their own clients have no such read): enough connections
        // per node for every user even if only one node answers (connections open only when used).
        using var client = new ClusterClient(urls, scenario.Users + 8);
        var nodes = await Targets.DiscoverAsync(client, TimeSpan.FromSeconds(30));
        var targets = Targets.Select(nodes, Targets.All);
        Console.WriteLine($"scenario   {scenario.Users} users arriving {scenario.SpawnRate.ToString("0.###", CultureInfo.InvariantCulture)}/s, think time {scenario.Think}, for {scenario.Duration.TotalSeconds:F0} s; mix {scenario.Mix}");
        Console.WriteLine($"nodes      {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}"))}; user i starts from node i mod {targets.Count} (Ctrl+C stops early and still reports)");
        Console.WriteLine("users      each its own app: a DistSyncClient of its own, which sends each request to the node that serves it; GET /locks/state is a raw request to the user's node");
        var recorder = new RunRecorder();
        var measured = await ScenarioRunner.RunAsync(client, targets, scenario, recorder, new LiveView(LiveView.CreateConsole()), cancel);
        var settings = new Dictionary<string, string>(scenario.Describe(), StringComparer.Ordinal)
        {
            ["nodes"] = string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}")),
        };
        return new RunReport(
            "scenario",
            commandLine,
            recorder.StartedAt,
            DateTimeOffset.UtcNow,
            MachineReport.Capture(loadBefore),
            settings,
            [.. recorder.Snapshot(measured).OrderBy(e => e.Name, StringComparer.Ordinal)],
            [],
            recorder.Windows(),
            [
                $"{scenario.Users} virtual users, each looping over the mix {scenario.Mix} with {scenario.Think} of think time between tasks. Each is an app of its own: its own DistSyncClient (client id vu-<run>-<i>, its own connections and lock session), started from node i mod {targets.Count}, which learns the cluster's topology and sends each request to the node that serves it (lock writes to the leader, a publish or an ack to the partition's owner, a cache call to the key's home, a consume to any node). GET /locks/state, which the client has no call for, is a raw request to the user's node.",
                "Each user's first requests also pay for its client's start: reading the topology, opening its lock session (at the first acquire), learning a topic's partitions (after the first publish). The requests keep the names of the HTTP calls they make; an ack goes out as POST /queue/ack_batch.",
                "A 409 (a lock busy past its wait, a cycle refused) is the system saying no as designed: it is counted apart as a refusal, not as a failure. Failures are everything else: other statuses, transport errors, client timeouts.",
                "Rates are over the run until it was told to stop, the users' arrival included (shaded); the users' last tasks finishing after that are counted but do not dilute the rates.",
            ])
        {
            Total = recorder.Total(measured),
        };
    }
}
