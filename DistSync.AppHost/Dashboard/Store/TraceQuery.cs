namespace DistSync.AppHost.Dashboard.Store;

/// <summary>Filters for <see cref="TelemetryStore.GetTraces"/>; null means "any".</summary>
/// <param name="Name">Case-insensitive substring of any span's name.</param>
/// <param name="Resource">A resource that emitted at least one span of the trace.</param>
public sealed record TraceQuery(
    string? Name = null,
    string? Resource = null,
    double? MinDurationMs = null,
    bool ErrorsOnly = false,
    int Limit = 200);
