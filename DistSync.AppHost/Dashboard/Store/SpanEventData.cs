namespace DistSync.AppHost.Dashboard.Store;

/// <summary>An event recorded on a span.</summary>
public sealed record SpanEventData(string Name, DateTimeOffset Time, IReadOnlyDictionary<string, string> Attributes);
