using System.Diagnostics;
using HdrHistogram;

namespace DistSync.LoadTests;

/// <summary>
/// One measured level: latencies of successful operations (HDR histogram, microseconds, up to 60 s),
/// and counts of refusals and failures by detail.
/// </summary>
public sealed class LevelStats
{
    /// <summary>Distinct refusal/failure details kept; the rest are counted as "other".</summary>
    private const int MaxDetails = 32;

    private readonly LongHistogram _histogram = new(TimeStamp.Minutes(1), 3);
    private readonly Dictionary<string, long> _details = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _ok;
    private long _refused;
    private long _failed;

    public long Ok => Interlocked.Read(ref _ok);

    public long Refused => Interlocked.Read(ref _refused);

    public long Failed => Interlocked.Read(ref _failed);

    public long Total => Ok + Refused + Failed;

    public void Record(long startTimestamp, OpResult result)
    {
        var micros = Math.Max(1, Stopwatch.GetElapsedTime(startTimestamp).Ticks / 10); // 1 tick = 100 ns
        lock (_gate)
        {
            switch (result.Kind)
            {
                case OpKind.Ok:
                    _histogram.RecordValue(Math.Min(micros, _histogram.HighestTrackableValue));
                    _ok++;
                    return;
                case OpKind.Refused:
                    _refused++;
                    break;
                default:
                    _failed++;
                    break;
            }

            var key = $"{(result.Kind == OpKind.Refused ? "refused" : "failed")}: {result.Detail ?? "?"}";
            if (!_details.ContainsKey(key) && _details.Count >= MaxDetails)
            {
                key = "other";
            }

            _details[key] = _details.GetValueOrDefault(key) + 1;
        }
    }

    public LevelResult Summarize(string benchmark, string level, int concurrency, TimeSpan measured)
    {
        lock (_gate)
        {
            var empty = _histogram.TotalCount == 0;
            double Ms(double percentile) => empty ? 0 : _histogram.GetValueAtPercentile(percentile) / 1000.0;
            return new LevelResult(
                benchmark,
                level,
                concurrency,
                _ok,
                _refused,
                _failed,
                measured,
                empty ? 0 : _histogram.GetMean() / 1000.0,
                Ms(50),
                Ms(90),
                Ms(99),
                empty ? 0 : _histogram.GetMaxValue() / 1000.0,
                [.. _details.OrderByDescending(d => d.Value).Select(d => $"{d.Key} x{d.Value}")]);
        }
    }
}
