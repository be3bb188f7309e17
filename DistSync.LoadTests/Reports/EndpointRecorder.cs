using HdrHistogram;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Reports;

/// <summary>
/// One endpoint's (or one benchmark level's) outcomes: counts by kind, refusals and failures grouped by message, the
/// latency of successful operations over the whole run (HDR histogram, microseconds up to a minute), and one
/// <see cref="SeriesPoint"/> per second. Only the current second keeps a histogram of its own, so memory stays flat
/// however long a run lasts. Not thread-safe: <see cref="RunRecorder"/> serializes the calls.
/// </summary>
internal sealed class EndpointRecorder
{
    /// <summary>Distinct messages kept per kind; the rest are counted under "other" (a run of unique errors stays bounded).</summary>
    private const int MaxMessages = 32;

    /// <summary>The histograms' range: values are microseconds, up to a minute.</summary>
    private const long MicrosInAMinute = 60_000_000;

    private readonly LongHistogram _total = new(MicrosInAMinute, 3);
    private readonly LongHistogram _second = new(MicrosInAMinute, 3);
    private readonly Dictionary<string, long> _refusals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failures = new(StringComparer.Ordinal);
    private readonly List<SeriesPoint> _series = [];
    private readonly long _origin;
    private readonly long _frequency;
    private int _currentSecond;
    private int _lastBusySecond = -1;
    private long _secondOk;
    private long _secondRefused;
    private long _secondFailed;
    private long _minMicros = long.MaxValue;
    private long _firstStart = long.MaxValue;
    private long _lastEnd = long.MinValue;

    /// <param name="firstSecond">The run's second this endpoint's first operation ended in: a benchmark level that
    /// starts late in a run has its series start there, on the run's time axis.</param>
    /// <param name="origin">The run's start (a timestamp), to tell how much of its first and last seconds an
    /// endpoint ran in; 0 when unknown (every second then counts as whole).</param>
    /// <param name="timestampFrequency">Timestamps per second: <see cref="System.Diagnostics.Stopwatch.Frequency"/> unless the run's clock says otherwise.</param>
    public EndpointRecorder(string name, int firstSecond, long origin = 0, long timestampFrequency = 0)
    {
        Name = name;
        _currentSecond = firstSecond;
        _origin = origin;
        _frequency = timestampFrequency > 0 ? timestampFrequency : System.Diagnostics.Stopwatch.Frequency;
    }

    public string Name { get; }

    public long Ok { get; private set; }

    public long Refused { get; private set; }

    public long Failed { get; private set; }

    public IReadOnlyList<SeriesPoint> Series => _series;

    /// <summary>From the first operation's start to the last one's end: a benchmark level's own measured time.</summary>
    public TimeSpan ActiveSpan => _lastEnd <= _firstStart ? TimeSpan.Zero : TimeSpan.FromTicks((_lastEnd - _firstStart) * TimeSpan.TicksPerSecond / _frequency);

    /// <summary>
    /// Counts an operation that ended in <paramref name="second"/> (seconds since the run began, never decreasing);
    /// <paramref name="startTimestamp"/> and <paramref name="endTimestamp"/> (timestamps of the run's clock) give the endpoint its active span.
    /// </summary>
    public void Record(int second, long micros, OpKind kind, string? detail, long startTimestamp = 0, long endTimestamp = 0)
    {
        AdvanceTo(second);
        _lastBusySecond = Math.Max(_lastBusySecond, second);
        if (endTimestamp > 0)
        {
            _firstStart = Math.Min(_firstStart, startTimestamp);
            _lastEnd = Math.Max(_lastEnd, endTimestamp);
        }

        switch (kind)
        {
            case OpKind.Ok:
                micros = Math.Clamp(micros, 1, _total.HighestTrackableValue);
                _total.RecordValue(micros);
                _second.RecordValue(micros);
                _minMicros = Math.Min(_minMicros, micros);
                Ok++;
                _secondOk++;
                break;
            case OpKind.Refused:
                Count(_refusals, detail);
                Refused++;
                _secondRefused++;
                break;
            default:
                Count(_failures, detail);
                Failed++;
                _secondFailed++;
                break;
        }
    }

    /// <summary>Closes every second before <paramref name="second"/> (an idle second is a point of zeros).</summary>
    public void AdvanceTo(int second)
    {
        while (_currentSecond < second)
        {
            _series.Add(CurrentPoint());
            _second.Reset();
            (_secondOk, _secondRefused, _secondFailed) = (0, 0, 0);
            _currentSecond++;
        }
    }

    /// <summary>Operations per second over the last <paramref name="seconds"/> closed seconds (what a live view shows as "current").</summary>
    public double RecentRate(int seconds)
    {
        var recent = _series.Skip(Math.Max(0, _series.Count - seconds)).ToList();
        return recent.Count == 0 ? 0 : recent.Average(p => (double)(p.Ok + p.Refused + p.Failed));
    }

    /// <summary>
    /// Everything recorded so far, rates over <paramref name="measured"/> (else over <see cref="ActiveSpan"/>). The
    /// series holds closed seconds only (a second still open would read as a dip) and ends at the last second anything
    /// ended in (a benchmark level that is over does not trail zeros to the end of the run). The histogram's bins are
    /// left out when <paramref name="bins"/> is false (a live view refreshing every second needs none).
    /// </summary>
    public EndpointReport Summarize(TimeSpan? measured, bool bins = true)
    {
        List<SeriesPoint> series = [.. _series.Where(p => p.Second <= _lastBusySecond)];
        if (_origin != 0 && _lastEnd > _firstStart && series.Count > 0)
        {
            // The first and last seconds are partial when the endpoint started or ended inside them.
            double SecondsOf(long timestamp) => (timestamp - _origin) / (double)_frequency;
            var (from, to) = (SecondsOf(_firstStart), SecondsOf(_lastEnd));
            for (var i = 0; i < series.Count; i++)
            {
                var p = series[i];
                var covered = Math.Min(p.Second + 1, to) - Math.Max(p.Second, from);
                if (covered < 1)
                {
                    series[i] = p with { Covered = Math.Clamp(covered, 0, 1) };
                }
            }
        }

        var span = measured ?? ActiveSpan;

        var empty = _total.TotalCount == 0;
        double Ms(double percentile) => empty ? 0 : _total.GetValueAtPercentile(percentile) / 1000.0;
        var requests = Ok + Refused + Failed;
        return new EndpointReport(
            Name,
            requests,
            Ok,
            Refused,
            Failed,
            span.TotalSeconds <= 0 ? 0 : requests / span.TotalSeconds,
            span.TotalSeconds <= 0 ? 0 : Ok / span.TotalSeconds,
            empty ? 0 : _total.GetMean() / 1000.0,
            empty ? 0 : _minMicros / 1000.0,
            Ms(50),
            Ms(90),
            Ms(95),
            Ms(99),
            empty ? 0 : _total.GetMaxValue() / 1000.0,
            Grouped(_refusals),
            Grouped(_failures),
            series,
            bins ? LatencyBins.From(_total) : []);
    }

    private SeriesPoint CurrentPoint()
    {
        var any = _second.TotalCount > 0;
        return new SeriesPoint(
            _currentSecond,
            _secondOk,
            _secondRefused,
            _secondFailed,
            any ? _second.GetValueAtPercentile(50) / 1000.0 : null,
            any ? _second.GetValueAtPercentile(99) / 1000.0 : null);
    }

    private static void Count(Dictionary<string, long> counts, string? detail)
    {
        var key = detail ?? "?";
        if (!counts.ContainsKey(key) && counts.Count >= MaxMessages)
        {
            key = "other";
        }

        counts[key] = counts.GetValueOrDefault(key) + 1;
    }

    private static IReadOnlyList<MessageCount> Grouped(Dictionary<string, long> counts) =>
        [.. counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => new MessageCount(c.Key, c.Value))];
}
