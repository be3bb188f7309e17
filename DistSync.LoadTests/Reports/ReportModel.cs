using DistSync.LoadTests.Cli;

namespace DistSync.LoadTests.Reports;

/// <summary>
/// One second of one endpoint: outcomes that ended in it, and the p50/p99 of its successes (null when none).
/// <see cref="Covered"/> is how much of the second the endpoint was running in: less than 1 at the edges of a benchmark
/// level, which starts and ends mid-second; a rate is the count divided by it.
/// </summary>
public sealed record SeriesPoint(int Second, long Ok, long Refused, long Failed, double? P50Ms, double? P99Ms, double Covered = 1)
{
    public double Total => Ok + Refused + Failed;

    public double RatePerSecond => Covered <= 0 ? 0 : Total / Covered;
}

/// <summary>How often one refusal or failure message occurred.</summary>
public sealed record MessageCount(string Message, long Count);

/// <summary>A latency histogram bar: successes that took more than <see cref="FromMs"/> and at most <see cref="ToMs"/>.</summary>
public sealed record LatencyBin(double FromMs, double ToMs, long Count);

/// <summary>A labelled span of the run, in seconds from its start: a level, a fault. Charts shade it.</summary>
public sealed record FaultWindow(string Label, double FromSecond, double ToSecond);

/// <summary>
/// Locust's statistics row for one endpoint: requests, successes, expected refusals (409) and failures (anything else),
/// rates over the measured time, latencies of successes in milliseconds, grouped messages, the per-second series and
/// the latency histogram.
/// </summary>
public sealed record EndpointReport(
    string Name,
    long Requests,
    long Ok,
    long Refused,
    long Failed,
    double RequestsPerSecond,
    double OkPerSecond,
    double MeanMs,
    double MinMs,
    double P50Ms,
    double P90Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    IReadOnlyList<MessageCount> Refusals,
    IReadOnlyList<MessageCount> Failures,
    IReadOnlyList<SeriesPoint> Series,
    IReadOnlyList<LatencyBin> Histogram);

/// <summary>Where a run ran: the machine and how busy it was.</summary>
public sealed record MachineReport(string Description, int Cores, string LoadAverageBefore, string LoadAverageAfter, string? Warning)
{
    public static MachineReport Capture(string loadAverageBefore) =>
        new(MachineInfo.Describe(), Environment.ProcessorCount, loadAverageBefore, MachineInfo.LoadAverage(), MachineInfo.AutogroupWarning());
}

/// <summary>
/// Everything one command measured, as written to <c>report.json</c>: the command line, the machine, the settings, one
/// row per endpoint (or benchmark level) with its series, the levels' result table where the command has one, the
/// marked windows and free-text notes (a scenario's mix, a comparison's conclusions).
/// </summary>
public sealed record RunReport(
    string Command,
    string CommandLine,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    MachineReport Machine,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<EndpointReport> Endpoints,
    IReadOnlyList<LevelResult> Levels,
    IReadOnlyList<FaultWindow> Windows,
    IReadOnlyList<string> Notes)
{
    /// <summary>Every endpoint together (a scenario's "Aggregated" row); null for a benchmark, whose levels run one after another.</summary>
    public EndpointReport? Total { get; init; }

    /// <summary>What the command printed: the figures that are not per endpoint (a redelivery delay, a ratio) are there.</summary>
    public string? Transcript { get; init; }

    /// <summary>More of the page, after the requests table: a chaos run's faults, availability and violations.</summary>
    public IReadOnlyList<ReportSection> Sections { get; init; } = [];

    /// <summary>Bumped when a field changes meaning, so <c>compare</c> can refuse what it cannot read.</summary>
    public int FormatVersion { get; init; } = 1;

    public TimeSpan Duration => EndedAt - StartedAt;
}

/// <summary>A titled part of a report: a table, text before it, and pictures after it (kept out of report.json).</summary>
public sealed record ReportSection(string Title, string Id, string? Text, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<ReportImage> Images { get; init; } = [];
}

/// <summary>A picture of a report section, with what it shows for those who cannot see it.</summary>
public sealed record ReportImage(string Alt, byte[] Png);
