namespace DistSync.AppHost.Dashboard.Store;

/// <summary>
/// In-memory telemetry with bounded sizes: traces, log records and metric points, each dropping its
/// oldest first. Thread-safe (one lock per kind); <see cref="Changed"/> is raised outside the locks.
/// </summary>
public sealed partial class TelemetryStore
{
    private readonly int _maxTraces;
    private readonly int _maxSpansPerTrace;
    private readonly int _maxLogRecords;
    private readonly int _maxMetricPoints;
    private readonly Lock _resourcesLock = new();
    private readonly SortedSet<string> _resources = new(StringComparer.Ordinal);

    public TelemetryStore(int maxTraces, int maxLogRecords, int maxMetricPoints, int maxSpansPerTrace = 2_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTraces, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLogRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMetricPoints, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSpansPerTrace, 1);
        _maxTraces = maxTraces;
        _maxLogRecords = maxLogRecords;
        _maxMetricPoints = maxMetricPoints;
        _maxSpansPerTrace = maxSpansPerTrace;
    }

    /// <summary>Raised after new telemetry of a kind was stored. Handlers must be quick and must not throw.</summary>
    public event Action<TelemetryKind>? Changed;

    /// <summary>Names of every resource (service.name) that sent anything, sorted.</summary>
    public IReadOnlyList<string> GetResourceNames()
    {
        lock (_resourcesLock)
        {
            return [.. _resources];
        }
    }

    private void NoteResources(IEnumerable<string> names)
    {
        lock (_resourcesLock)
        {
            foreach (var name in names)
            {
                _resources.Add(name);
            }
        }
    }

    private void Raise(TelemetryKind kind) => Changed?.Invoke(kind);
}
