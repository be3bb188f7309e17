namespace DistSync.AppHost.Dashboard.Store;

/// <summary>Filters for <see cref="TelemetryStore.GetLogs"/>; null means "any".</summary>
/// <param name="MinLevel">Lowest level shown (trace … critical).</param>
/// <param name="Text">Case-insensitive search in the message and attribute values.</param>
/// <param name="Attributes">Every pair must be present with that exact value.</param>
/// <param name="AfterSequence">Only records newer than this sequence.</param>
public sealed record LogQuery(
    string? MinLevel = null,
    string? Text = null,
    string? Resource = null,
    string? TraceId = null,
    IReadOnlyDictionary<string, string>? Attributes = null,
    long AfterSequence = 0,
    int Limit = 500);
