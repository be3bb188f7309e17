using System.Diagnostics;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Reports;

/// <summary>
/// Every operation of a run, by endpoint (a scenario's request name, or a benchmark's level), bucketed into the second
/// it ended in, counted from when the recorder was made. Thread-safe; what a report and a live table are made of.
/// </summary>
public sealed class RunRecorder
{
    private readonly Dictionary<string, EndpointRecorder> _endpoints = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly List<FaultWindow> _windows = [];
    private readonly EndpointRecorder _all;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _origin;

    /// <param name="time">The clock operations are timed by; the system's (whose timestamps are <see cref="Stopwatch"/>'s) unless a test gives its own.</param>
    public RunRecorder(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
        StartedAt = _time.GetUtcNow();
        _all = new EndpointRecorder("Aggregated", 0, _origin, _time.TimestampFrequency);
    }

    /// <summary>When the run began, for the report.</summary>
    public DateTimeOffset StartedAt { get; }

    public TimeSpan Elapsed => _time.GetElapsedTime(_origin);

    /// <summary>Records an operation that began at <paramref name="startTimestamp"/> (a timestamp of the recorder's clock: <see cref="Stopwatch"/>'s by default) and ends now.</summary>
    public void Record(string endpoint, long startTimestamp, OpResult result)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        // The end is read before the lock: time spent waiting for a live view's summary is not the operation's.
        // A second that closed meanwhile is counted in the next one (AdvanceTo never goes back).
        var now = _time.GetTimestamp();
        var micros = (now - startTimestamp) * 1_000_000 / _time.TimestampFrequency;
        var second = SecondOf(now);
        lock (_gate)
        {
            Endpoint(endpoint, second).Record(second, micros, result.Kind, result.Detail, startTimestamp, now);
            _all.Record(second, micros, result.Kind, result.Detail, startTimestamp, now);
        }
    }

    /// <summary>Marks a span of the run (a level, a fault) so charts can shade it.</summary>
    public void Mark(string label, TimeSpan from, TimeSpan to)
    {
        lock (_gate)
        {
            _windows.Add(new FaultWindow(label, from.TotalSeconds, to.TotalSeconds));
        }
    }

    /// <summary>
    /// The figures so far, one row per endpoint in the order they first appeared; closes the seconds up to now. Rates
    /// are over <paramref name="measured"/> (a scenario's run time), else over each endpoint's own active span (a
    /// benchmark level's measured time, not the whole run's).
    /// </summary>
    public IReadOnlyList<EndpointReport> Snapshot(TimeSpan? measured = null, bool bins = true)
    {
        lock (_gate)
        {
            var now = SecondOf(_time.GetTimestamp());
            return [.. _order.Select(name =>
            {
                var endpoint = _endpoints[name];
                endpoint.AdvanceTo(now);
                return endpoint.Summarize(measured, bins);
            })];
        }
    }

    /// <summary>Every endpoint together (Locust's "Aggregated" row); its messages are not told apart by endpoint.</summary>
    public EndpointReport Total(TimeSpan? measured = null, bool bins = true)
    {
        lock (_gate)
        {
            _all.AdvanceTo(SecondOf(_time.GetTimestamp()));
            return _all.Summarize(measured ?? Elapsed, bins);
        }
    }

    /// <summary>Requests per second of everything together over the last few closed seconds.</summary>
    public double RecentTotalRate(int seconds)
    {
        lock (_gate)
        {
            _all.AdvanceTo(SecondOf(_time.GetTimestamp()));
            return _all.RecentRate(seconds);
        }
    }

    /// <summary>Requests per second of one endpoint over its last few closed seconds.</summary>
    public double RecentRate(string endpoint, int seconds)
    {
        lock (_gate)
        {
            if (!_endpoints.TryGetValue(endpoint, out var recorder))
            {
                return 0;
            }

            recorder.AdvanceTo(SecondOf(_time.GetTimestamp()));
            return recorder.RecentRate(seconds);
        }
    }

    public IReadOnlyList<FaultWindow> Windows()
    {
        lock (_gate)
        {
            return [.. _windows];
        }
    }

    private EndpointRecorder Endpoint(string name, int second)
    {
        if (!_endpoints.TryGetValue(name, out var endpoint))
        {
            endpoint = new EndpointRecorder(name, second, _origin, _time.TimestampFrequency);
            _endpoints[name] = endpoint;
            _order.Add(name);
        }

        return endpoint;
    }

    private int SecondOf(long timestamp) => (int)((timestamp - _origin) / _time.TimestampFrequency);
}
