using System.Globalization;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Reports;
using ScottPlot;

namespace DistSync.LoadTests.Chaos;

/// <summary>
/// A chaos run's report: the run's figures over time with the fault windows shaded (the common report page), and its
/// own sections: the faults as they happened, availability during each fault type, operations by outcome, and every
/// violation with its operations drawn as a timeline. The history is saved beside it for <c>chaos --check</c>.
/// </summary>
public static class ChaosReport
{
    /// <summary>Violations drawn as timelines; the rest are listed in text.</summary>
    private const int MaxDrawn = 10;

    public static RunReport Build(ChaosResult result, string commandLine, string loadBefore, IReadOnlyList<string> transcript)
    {
        ArgumentNullException.ThrowIfNull(result);
        var settings = result.Settings;
        return new RunReport(
            "chaos",
            commandLine,
            result.Recorder.StartedAt,
            result.EndedAt,
            MachineReport.Capture(loadBefore),
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["length"] = $"{settings.Length.TotalSeconds:F0} s of faults and workload",
                ["workloads"] = string.Join(", ", settings.Workloads),
                ["nemeses"] = settings.Nemeses.Count == 0 ? "none" : string.Join(", ", settings.Nemeses),
                ["redis"] = settings.Redis == RedisTopology.Cluster
                    ? "a Redis Cluster: three primaries and a replica of each, every queue and cache write waiting for its replica"
                    : "one redis-server",
                ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
                ["clients"] = $"{settings.ClientsPerWorkload} per workload, spread over {ChaosSettings.Nodes} nodes",
                ["healing"] = $"{result.Healing.TotalSeconds:F1} s from the end of the run (the last fault had healed before it) to a healthy cluster with a full ring",
                ["harness problems"] = result.Problems.Count == 0 ? "none" : string.Join("; ", result.Problems),
                ["operations"] = result.History.Count.ToString("N0", CultureInfo.InvariantCulture),
                ["violations"] = result.Violations.Count.ToString(CultureInfo.InvariantCulture),
            },
            result.Recorder.Snapshot(settings.Length),
            [],
            result.Recorder.Windows(),
            [
                result.Violations.Count == 0 ? "No violations: every checker accepted the history." : $"{result.Violations.Count} violation(s): see below.",
                "Shaded spans are faults, by nemesis. In the charts, a request the cluster refused (a 4xx, such as 409 busy) counts as a refusal; one whose outcome is unknown (a timeout, a 5xx, a lost connection) as a failure.",
            ])
        {
            Total = result.Recorder.Total(settings.Length),
            Transcript = string.Join(Environment.NewLine, transcript),
            Sections = [Verdict(result), Availability(result), Outcomes(result.History), Faults(result)],
        };
    }

    /// <summary>Writes the report folder and the history beside it.</summary>
    public static void Write(ChaosResult result, RunReport report, string directory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        Directory.CreateDirectory(directory);
        HistoryFile.Write(Path.Combine(directory, HistoryFile.FileName), result.History);
        File.WriteAllText(Path.Combine(directory, "violations.txt"),
            result.Violations.Count == 0 ? "none\n" : string.Join(Environment.NewLine + Environment.NewLine, result.Violations) + Environment.NewLine);
        ReportOutput.Write(report, directory, output);
        output.WriteLine($"history    {Path.GetFullPath(Path.Combine(directory, HistoryFile.FileName))} (check it again: chaos --check {directory})");
    }

    /// <summary>
    /// Per fault type (and with no fault), of the operations invoked during it: how many the cluster answered
    /// definitively (ok, or a refusal such as 409 busy), how many succeeded, and how many were left unknown.
    /// </summary>
    public static ReportSection Availability(ChaosResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var end = (long)(result.Settings.Length.TotalMilliseconds * 1000);
        var ops = result.History.Where(o => o.Process != "final" && o.Invoked <= end).ToList();
        var rows = new List<IReadOnlyList<string>>();
        string? FaultOf(ChaosOp op) => result.Faults.FirstOrDefault(f => op.Invoked >= f.From && op.Invoked <= f.To) is { } f ? FaultType(f.Planned) : null;
        var byFault = ops.GroupBy(FaultOf).ToDictionary(g => g.Key ?? "", g => g.ToList());
        foreach (var type in new[] { "" }.Concat(result.Faults.Select(f => FaultType(f.Planned)).Distinct()))
        {
            var windows = result.Faults.Where(f => FaultType(f.Planned) == type).ToList();
            var seconds = (type == "" ? end - result.Faults.Sum(f => f.To - f.From) : windows.Sum(w => w.To - w.From)) / 1e6;
            var list = byFault.GetValueOrDefault(type) ?? [];
            rows.Add([
                type == "" ? "no fault" : type,
                type == "" ? "-" : windows.Count.ToString(CultureInfo.InvariantCulture),
                seconds.ToString("F0", CultureInfo.InvariantCulture),
                list.Count.ToString("N0", CultureInfo.InvariantCulture),
                Percent(list.Count(Answered), list.Count),
                Percent(list.Count(o => o.Outcome == Outcome.Ok), list.Count),
                Percent(list.Count(o => o.IsUnknown), list.Count),
                .. result.Settings.Workloads.Select(w => Percent(list.Count(o => Workload(o) == w && Answered(o)), list.Count(o => Workload(o) == w))),
                seconds <= 0 ? "-" : (list.Count(o => o.Outcome == Outcome.Ok) / seconds).ToString("F0", CultureInfo.InvariantCulture),
            ]);
        }

        return new ReportSection("Availability during each fault type", "availability",
            "Operations are counted by when they were invoked. Answered: the cluster gave a definite answer (success, or a refusal such as 409 busy); " +
            "the rest timed out, lost their connection, found no node listening, or got a 5xx (outcome unknown).",
            ["fault", "windows", "seconds", "operations", "answered", "ok", "unknown", .. result.Settings.Workloads.Select(w => $"{w} answered"), "ok/s"],
            rows);
    }

    /// <summary>
    /// The availability row a fault counts in: its nemesis, except that each of Redis's faults has a row of its own
    /// ("redis kill-primary", "redis restart"): a failover, a stall and a cut replication link cost the clients very
    /// different things, and one row would blur them.
    /// </summary>
    public static string FaultType(Fault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        return fault.Nemesis == Nemeses.Redis ? fault.Label : fault.Nemesis;
    }

    private static ReportSection Verdict(ChaosResult result)
    {
        if (result.Violations.Count == 0)
        {
            return new ReportSection("Checkers", "violations",
                $"No violations in {result.History.Count:N0} operations: mutual exclusion, lease safety and fencing order of locks, linearizable lock state reads, " +
                "at-least-once delivery with no delivery after an ack and dedup ids honoured, and every cache key linearizable.", [], []);
        }

        var drawn = result.Violations.Take(MaxDrawn).Select((v, i) => new ReportImage($"violation {i + 1}: {v.Message}", Timeline(v))).ToList();
        return new ReportSection($"Violations ({result.Violations.Count})", "violations",
            "Each violation with the operations that show it (all of them are in violations.txt); the timelines draw the first ten. " +
            "Bars run from invocation to answer: green ok, grey refused, orange unknown (drawn to the chart's end: it may have taken effect any time after it began).",
            ["checker", "violation", "operations"],
            [.. result.Violations.Select(v => (IReadOnlyList<string>)[v.Checker, v.Message, v.Ops.Count.ToString(CultureInfo.InvariantCulture)])])
        {
            Images = drawn,
        };
    }

    private static ReportSection Outcomes(IReadOnlyList<ChaosOp> history) =>
        new("Operations by outcome", "outcomes", null, ["operation", "total", "ok", "failed (refused)", "unknown", "most common failure"],
            [.. history.GroupBy(o => o.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (IReadOnlyList<string>)
            [
                g.Key,
                g.Count().ToString("N0", CultureInfo.InvariantCulture),
                g.Count(o => o.Outcome == Outcome.Ok).ToString("N0", CultureInfo.InvariantCulture),
                g.Count(o => o.Outcome == Outcome.Failed).ToString("N0", CultureInfo.InvariantCulture),
                g.Count(o => o.IsUnknown).ToString("N0", CultureInfo.InvariantCulture),
                g.Where(o => o.Outcome != Outcome.Ok && o.Detail is not null).GroupBy(o => o.Detail).MaxBy(d => d.Count()) is { } top ? $"{top.Key} ({top.Count():N0})" : "",
            ])]);

    private static ReportSection Faults(ChaosResult result) =>
        new("Faults", "faults", $"Seed {result.Settings.Seed}: the same seed gives the same schedule.", ["from s", "to s", "nemesis", "variant", "what was done"],
            [.. result.Faults.Select(f => (IReadOnlyList<string>)
            [
                (f.From / 1e6).ToString("F1", CultureInfo.InvariantCulture),
                (f.To / 1e6).ToString("F1", CultureInfo.InvariantCulture),
                f.Planned.Nemesis,
                f.Planned.Variant,
                f.Done,
            ])]);

    /// <summary>A violation's operations, one row per client, each a bar from invocation to answer.</summary>
    public static byte[] Timeline(Violation violation)
    {
        ArgumentNullException.ThrowIfNull(violation);
        var ops = violation.Ops;
        var plot = new Plot();
        plot.Title(violation.Message.Length <= 110 ? violation.Message : violation.Message[..110] + "…");
        plot.XLabel("ms since the start of the run");
        if (ops.Count == 0)
        {
            return plot.GetImageBytes(1100, 300, ImageFormat.Png);
        }

        var processes = ops.Select(o => o.Process).Distinct().ToList();
        var start = ops.Min(o => o.Invoked) / 1000.0;
        var last = ops.Where(o => !o.IsUnknown).Select(o => o.Completed / 1000.0).DefaultIfEmpty(start).Max();
        var end = Math.Max(last, ops.Max(o => o.Invoked) / 1000.0) + Math.Max(1, (last - start) * 0.15);
        foreach (var op in ops)
        {
            var row = processes.IndexOf(op.Process);
            var from = op.Invoked / 1000.0;
            var to = op.IsUnknown ? end : Math.Max(op.Completed / 1000.0, from + ((end - start) * 0.002));
            var bar = plot.Add.Rectangle(from, to, row - 0.3, row + 0.3);
            bar.FillStyle.Color = op.Outcome switch
            {
                Outcome.Ok => new Color(44, 160, 44),
                Outcome.Failed => new Color(150, 150, 150),
                _ => new Color(255, 127, 14).WithAlpha(0.6),
            };
            bar.LineStyle.Width = 0;
            var label = plot.Add.Text(Describe(op), from, row + 0.32);
            label.LabelFontSize = 11;
        }

        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, processes.Count).Select(i => (double)i)], [.. processes.Select(p => ops.First(o => o.Process == p) is var o ? $"{p}@{o.Node}" : p)]);
        plot.Axes.SetLimits(start - ((end - start) * 0.02), end, -0.6, processes.Count - 0.2);
        return plot.GetImageBytes(1100, Math.Max(260, 90 + (processes.Count * 60)), ImageFormat.Png);
    }

    private static string Describe(ChaosOp op)
    {
        var text = op.Kind + (op.Value is { Length: > 0 } v && op.Kind != OpKinds.LockState ? " " + v : "")
            + (op.Token is { } t ? $" #{t}" : "") + (op.Kind == OpKinds.LockState ? $" [{op.Value}]" : "");
        return text.Length <= 60 ? text : text[..60] + "…";
    }

    private static bool Answered(ChaosOp op) => op.Outcome == Outcome.Ok || (op.Outcome == Outcome.Failed && op.Detail != Workloads.ChaosClient.Unavailable);

    private static string Workload(ChaosOp op) => op.Kind.Split('.')[0] switch
    {
        "lock" => "locks",
        var w => w,
    };

    private static string Percent(int part, int whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("F1", CultureInfo.InvariantCulture) + " %";
}
