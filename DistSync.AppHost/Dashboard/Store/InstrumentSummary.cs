namespace DistSync.AppHost.Dashboard.Store;

/// <summary>An instrument with the latest point of each of its series.</summary>
public sealed record InstrumentSummary(MetricInstrument Instrument, IReadOnlyList<MetricSeriesData> Latest);
