namespace DistSync.AppHost.Dashboard.Store;

/// <summary>A trace as the API shows it: a summary over its spans, and the spans ordered by start.</summary>
public sealed record TraceData(
    string TraceId,
    string Name,
    IReadOnlyList<string> Resources,
    DateTimeOffset Start,
    double DurationMs,
    int SpanCount,
    bool HasError,
    IReadOnlyList<SpanData> Spans);
