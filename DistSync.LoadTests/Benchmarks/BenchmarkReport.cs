using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>A benchmark command's report: its levels and every measured operation, when <c>--report DIR</c> asked for one.</summary>
public static class BenchmarkReport
{
    /// <summary>Writes the folder and says where; does nothing when the run has no recorder (no --report).</summary>
    public static void WriteIfAsked(CommandLine options, string command, string commandLine, BenchSettings settings, IReadOnlyList<LevelResult> levels, string loadBefore, TextWriter output, string? timing = null)
    {
        output.Flush();
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        if (settings.Recorder is not { } recorder || options.Get(ReportOutput.Option) is not { } directory)
        {
            return;
        }

        var report = new RunReport(
            command,
            commandLine,
            recorder.StartedAt,
            DateTimeOffset.UtcNow,
            MachineReport.Capture(loadBefore),
            Settings(settings, timing),
            recorder.Snapshot(),
            levels,
            recorder.Windows(),
            ["Each endpoint is one level of the benchmark (closed-loop clients, measured after the warm-up); the shaded spans are the levels' measured times."])
        {
            Transcript = (output as TranscriptWriter)?.Text,
        };
        ReportOutput.Write(report, directory, output);
    }

    private static Dictionary<string, string> Settings(BenchSettings settings, string? timing)
    {
        var described = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["nodes"] = string.Join(", ", settings.Urls),
            ["timing"] = timing ?? settings.Describe(),
        };
        if (settings.Driver is { } driver)
        {
            described["driver"] = driver == Drivers.Client
                ? "client: one shared DistSyncClient (levels marked http send raw requests either way)"
                : "http: raw requests through ClusterClient";
        }

        return described;
    }
}
