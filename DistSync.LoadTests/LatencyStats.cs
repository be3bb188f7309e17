using System.Diagnostics;
using HdrHistogram;

namespace DistSync.LoadTests;

/// <summary>Latencies of one run, recorded in an HDR histogram (microsecond resolution, up to 60 s).</summary>
public sealed class LatencyStats
{
    /// <summary>The histograms' range: values are microseconds, up to a minute.</summary>
    private const long MicrosInAMinute = 60_000_000;

    private readonly LongHistogram _histogram = new(MicrosInAMinute, 3);
    private readonly Lock _gate = new();
    private long _successes;
    private long _failures;

    public long Successes => Interlocked.Read(ref _successes);

    public long Failures => Interlocked.Read(ref _failures);

    public void Record(long startTimestamp, bool success)
    {
        var elapsed = Stopwatch.GetElapsedTime(startTimestamp);
        if (success)
        {
            Interlocked.Increment(ref _successes);
        }
        else
        {
            Interlocked.Increment(ref _failures);
        }

        lock (_gate)
        {
            _histogram.RecordValue(Math.Max(1, elapsed.Ticks / 10)); // 1 tick = 100 ns; store microseconds
        }
    }

    public Summary Summarize(TimeSpan wallTime)
    {
        lock (_gate)
        {
            double Ms(double percentile) => _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) / 1000.0;
            return new Summary(
                Successes,
                Failures,
                _histogram.TotalCount == 0 ? 0 : _histogram.GetMean() / 1000.0,
                Ms(50),
                Ms(90),
                Ms(99),
                _histogram.TotalCount == 0 ? 0 : _histogram.GetMaxValue() / 1000.0,
                wallTime);
        }
    }
}

/// <summary>What a run reports, latencies in milliseconds.</summary>
public sealed record Summary(long Successes, long Failures, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double MaxMs, TimeSpan WallTime)
{
    public double Throughput => WallTime.TotalSeconds == 0 ? 0 : (Successes + Failures) / WallTime.TotalSeconds;

    public override string ToString() => string.Join(Environment.NewLine,
        $"  requests     {Successes + Failures} ({Successes} ok, {Failures} failed)",
        $"  total time   {WallTime.TotalSeconds:F2} s",
        $"  throughput   {Throughput:F0} req/s",
        $"  latency ms   avg {MeanMs:F2}  p50 {P50Ms:F2}  p90 {P90Ms:F2}  p99 {P99Ms:F2}  max {MaxMs:F2}");
}
