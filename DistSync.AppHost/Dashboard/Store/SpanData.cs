namespace DistSync.AppHost.Dashboard.Store;

/// <summary>One received span, flattened for display. Ids are lower-case hex.</summary>
/// <param name="Status">unset, ok or error.</param>
public sealed record SpanData(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Resource,
    string Scope,
    string Kind,
    DateTimeOffset Start,
    double DurationMs,
    string Status,
    string? StatusMessage,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<SpanEventData> Events);
