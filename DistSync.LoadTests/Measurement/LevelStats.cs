using System.Diagnostics;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Measurement;

/// <summary>
/// One measured level: latencies of successful operations and counts of refusals and failures by detail, kept by the
/// same <see cref="EndpointRecorder"/> a report uses (one endpoint, no series), and summed up as a <see cref="LevelResult"/>.
/// </summary>
public sealed class LevelStats
{
    private readonly EndpointRecorder _outcomes = new("level", firstSecond: 0);
    private readonly Lock _gate = new();
    private long _total;

    public long Ok
    {
        get
        {
            lock (_gate)
            {
                return _outcomes.Ok;
            }
        }
    }

    public long Refused
    {
        get
        {
            lock (_gate)
            {
                return _outcomes.Refused;
            }
        }
    }

    public long Failed
    {
        get
        {
            lock (_gate)
            {
                return _outcomes.Failed;
            }
        }
    }

    /// <summary>Every outcome so far; read after every operation (the cap on a level), so it takes no lock.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Record(long startTimestamp, OpResult result)
    {
        var micros = Math.Max(1, Stopwatch.GetElapsedTime(startTimestamp).Ticks / 10); // 1 tick = 100 ns
        lock (_gate)
        {
            _outcomes.Record(0, micros, result.Kind, result.Detail);
        }

        Interlocked.Increment(ref _total);
    }

    public LevelResult Summarize(string benchmark, string level, int concurrency, TimeSpan measured)
    {
        EndpointReport r;
        lock (_gate)
        {
            r = _outcomes.Summarize(measured, bins: false);
        }

        var details = r.Refusals.Select(m => (Kind: "refused", m.Message, m.Count))
            .Concat(r.Failures.Select(m => (Kind: "failed", m.Message, m.Count)))
            .OrderByDescending(d => d.Count)
            .Select(d => $"{d.Kind}: {d.Message} x{d.Count}");
        return new LevelResult(benchmark, level, concurrency, r.Ok, r.Refused, r.Failed, measured, r.MeanMs, r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs, [.. details]);
    }
}
