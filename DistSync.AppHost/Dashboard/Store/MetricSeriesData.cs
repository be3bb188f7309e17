namespace DistSync.AppHost.Dashboard.Store;

/// <summary>The points of one attribute set (dimension values) of an instrument, oldest first.</summary>
public sealed record MetricSeriesData(IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<MetricPoint> Points);
