using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Versus;

/// <summary><c>vs --report DIR</c>: the tool's report folder (every level as an endpoint, the ratio table, each side's durability) and <c>versus.md</c>.</summary>
public static class VersusReport
{
    public static void Write(string directory, RunRecorder recorder, IReadOnlyList<VersusResult> results, VersusLineup lineup, string commandText,
        string loadBefore, BenchSettings settings, string markdown, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(lineup);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var described = new Dictionary<string, string>(StringComparer.Ordinal) { ["timing"] = settings.Describe() };
        foreach (var side in lineup.Sides)
        {
            described[side.Label] = $"{side.Version}; {side.Durability}";
        }

        var namesSetups = VersusTable.NamesSetups(results);
        var ratios = new ReportSection(
            "DistSync / peer",
            "ratios",
            "Per workload and level: each side's ops/s, p50 and p99 (ms), and the ratio DistSync / peer per DistSync driver (ops/s above 1: DistSync ahead; p50 above 1: DistSync slower).",
            ["workload", "workers", "peer", "peer ops/s", "peer p50", "peer p99", "DistSync driver", "DistSync ops/s", "DistSync p50", "DistSync p99", "ops/s ratio", "p50 ratio"],
            [.. VersusTable.Compare(results).Select(c => (IReadOnlyList<string>)
            [
                c.Workload, c.Workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
                VersusSystems.Title(VersusWorkloads.Peer(c.Workload)),
                Figure(c.Peer?.Level.OpsPerSecond, "N0"), Figure(c.Peer?.Level.P50Ms, "F2"), Figure(c.Peer?.Level.P99Ms, "F2"),
                c.DistSync is null ? "-" : namesSetups ? $"{c.DistSync.Driver} on {DistSyncRedis.Title(c.DistSync.RedisSetup ?? DistSyncRedis.Single)}" : c.DistSync.Driver,
                Figure(c.DistSync?.Level.OpsPerSecond, "N0"), Figure(c.DistSync?.Level.P50Ms, "F2"), Figure(c.DistSync?.Level.P99Ms, "F2"),
                VersusTable.Times(c.OpsRatio), VersusTable.Times(c.P50Ratio),
            ])]);
        var durability = new ReportSection("Durability", "durability", "What an acknowledged write survives on each side, as this run started it.",
            ["system", "version", "durability"],
            [.. lineup.Sides.Select(s => (IReadOnlyList<string>)[s.Label, s.Version, s.Durability])]);
        var report = new RunReport(
            VersusCommand.Name,
            commandText,
            recorder.StartedAt,
            DateTimeOffset.UtcNow,
            MachineReport.Capture(loadBefore),
            described,
            recorder.Snapshot(),
            [.. results.Select(r => r.Level)],
            recorder.Windows(),
            ["Each endpoint is one level of one system (closed-loop workers, measured after the warm-up); the systems ran one after another on this machine."])
        {
            Transcript = (output as TranscriptWriter)?.Text,
            Sections = [ratios, .. SetupsSection(results), durability],
        };
        ReportOutput.Write(report, directory, output);
        File.WriteAllText(Path.Combine(directory, VersusCommand.MarkdownFile), markdown);
        output.WriteLine($"markdown   {Path.GetFullPath(Path.Combine(directory, VersusCommand.MarkdownFile))}");
    }

    /// <summary>DistSync on each Redis setup side by side, when more than one ran.</summary>
    private static ReportSection[] SetupsSection(IReadOnlyList<VersusResult> results) => VersusTable.CompareSetups(results) is { Count: > 0 } setups
        ?
        [
            new ReportSection(
                "DistSync on each Redis setup",
                "redis-setups",
                "The queue and cache workloads on one Redis, on a Redis Cluster (3 primaries + 3 replicas) waiting for 1 replica per write, and on the same cluster without the wait; ratios with/without (ops/s below 1 or p50 above 1: the change costs).",
                ["workload", "workers", "driver", .. DistSyncRedis.All.SelectMany(s => new[] { $"{DistSyncRedis.Title(s)} ops/s", $"{DistSyncRedis.Title(s)} p50" }),
                    "ops/s cluster/single", "p50 cluster/single", "ops/s WAIT/no wait", "p50 WAIT/no wait"],
                [.. setups.Select(c => (IReadOnlyList<string>)
                [
                    c.Workload, c.Workers.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Driver,
                    .. DistSyncRedis.All.SelectMany(s => new[] { Figure(c.On(s)?.OpsPerSecond, "N0"), Figure(c.On(s)?.P50Ms, "F2") }),
                    VersusTable.Times(c.ClusterOverSingleOps), VersusTable.Times(c.ClusterOverSingleP50),
                    VersusTable.Times(c.WaitOverNoWaitOps), VersusTable.Times(c.WaitOverNoWaitP50),
                ])]),
        ]
        : [];

    private static string Figure(double? value, string format) =>
        value is { } v ? v.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "-";
}
