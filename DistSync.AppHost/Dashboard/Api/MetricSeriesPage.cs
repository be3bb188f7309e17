using DistSync.AppHost.Dashboard.Store;

namespace DistSync.AppHost.Dashboard.Api;

/// <summary>Answer to GET /api/telemetry/metrics/series: the instrument, its dimensions and the filtered series.</summary>
public sealed record MetricSeriesPage(
    MetricInstrument Instrument,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Dimensions,
    IReadOnlyList<MetricSeriesData> Series);
