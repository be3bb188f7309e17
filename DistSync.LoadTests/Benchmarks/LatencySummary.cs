namespace DistSync.LoadTests.Benchmarks;

/// <summary>What a run reports, latencies in milliseconds.</summary>
public sealed record LatencySummary(long Successes, long Failures, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double MaxMs, TimeSpan WallTime)
{
    public double Throughput => WallTime.TotalSeconds == 0 ? 0 : (Successes + Failures) / WallTime.TotalSeconds;

    public override string ToString() => string.Join(Environment.NewLine,
        $"  requests     {Successes + Failures} ({Successes} ok, {Failures} failed)",
        $"  total time   {WallTime.TotalSeconds:F2} s",
        $"  throughput   {Throughput:F0} req/s",
        $"  latency ms   avg {MeanMs:F2}  p50 {P50Ms:F2}  p90 {P90Ms:F2}  p99 {P99Ms:F2}  max {MaxMs:F2}");
}
