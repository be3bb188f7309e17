using System.Diagnostics;
using HdrHistogram;

namespace DistSync.LoadTests.Benchmarks;

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

    public LatencySummary Summarize(TimeSpan wallTime)
    {
        lock (_gate)
        {
            double Ms(double percentile) => _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) / 1000.0;
            return new LatencySummary(
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
