namespace DistSync.LoadTests.Reports;

/// <summary>Turns what a benchmark command measured into a report folder, when <c>--report DIR</c> asked for one.</summary>
public static class ReportOutput
{
    public const string Option = "report";

    /// <summary>Creates the folder and checks it takes files before a run starts, not after it has been measured.</summary>
    public static void Prepare(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, ".write-test");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--report {directory}: cannot write there ({ex.Message}).", ex);
        }
    }

    /// <summary>Writes the folder and says where; does nothing when the run has no recorder (no --report).</summary>
    public static void WriteIfAsked(CommandLine options, string command, string commandLine, BenchSettings settings, IReadOnlyList<LevelResult> levels, string loadBefore, TextWriter output, string? timing = null)
    {
        output.Flush();
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        if (settings.Recorder is not { } recorder || options.Get(Option) is not { } directory)
        {
            return;
        }

        var report = new RunReport(
            command,
            commandLine,
            recorder.StartedAt,
            DateTimeOffset.UtcNow,
            MachineReport.Capture(loadBefore),
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["nodes"] = string.Join(", ", settings.Urls),
                ["timing"] = timing ?? settings.Describe(),
            },
            recorder.Snapshot(),
            levels,
            recorder.Windows(),
            ["Each endpoint is one level of the benchmark (closed-loop clients, measured after the warm-up); the shaded spans are the levels' measured times."])
        {
            Transcript = (output as TranscriptWriter)?.Text,
        };
        Write(report, directory, output);
    }

    public static void Write(RunReport report, string directory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        ReportWriter.Write(report, directory);
        output.WriteLine($"report     {Path.GetFullPath(Path.Combine(directory, ReportWriter.PageName))} (and {ReportJson.FileName}, endpoints.csv, series-*.csv, charts/)");
    }
}
