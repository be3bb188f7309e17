namespace DistSync.AppHost.Dashboard.Store;

/// <summary>One structured log record.</summary>
/// <param name="Sequence">Arrival order, strictly increasing; clients tail with it.</param>
/// <param name="Level">trace, debug, information, warning, error or critical.</param>
public sealed record LogEntry(
    long Sequence,
    DateTimeOffset Time,
    string Resource,
    string Scope,
    string Level,
    int SeverityNumber,
    string Message,
    string? TraceId,
    string? SpanId,
    IReadOnlyDictionary<string, string> Attributes);
