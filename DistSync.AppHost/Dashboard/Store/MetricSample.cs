namespace DistSync.AppHost.Dashboard.Store;

/// <summary>One received data point with the instrument and attribute set it belongs to.</summary>
public sealed record MetricSample(MetricInstrument Instrument, IReadOnlyDictionary<string, string> Attributes, MetricPoint Point);
