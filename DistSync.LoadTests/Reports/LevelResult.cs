namespace DistSync.LoadTests.Reports;

/// <summary>What one level of a benchmark measured; latencies of successful operations in milliseconds.</summary>
public sealed record LevelResult(
    string Benchmark,
    string Level,
    int Concurrency,
    long Ok,
    long Refused,
    long Failed,
    TimeSpan Measured,
    double MeanMs,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double MaxMs,
    IReadOnlyList<string> Details)
{
    /// <summary>CPU this load generator used during the measured time, in cores (1.0 = one core busy); set by the runner.</summary>
    public double ClientCores { get; init; }

    /// <summary>How the level's operations were sent (<c>client</c> or <c>http</c>), for a benchmark that offers both; null otherwise.</summary>
    public string? Driver { get; init; }

    /// <summary>Successful operations per second of measured time.</summary>
    public double OpsPerSecond => Measured.TotalSeconds <= 0 ? 0 : Ok / Measured.TotalSeconds;
}
