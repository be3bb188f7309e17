namespace DistSync.AppHost.Dashboard.Store;

/// <summary>What identifies and describes an instrument of one resource.</summary>
/// <param name="Kind">gauge, sum, histogram, exponential_histogram or summary.</param>
/// <param name="Temporality">cumulative, delta or unspecified.</param>
public sealed record MetricInstrument(
    string Resource,
    string Scope,
    string Name,
    string Unit,
    string Description,
    string Kind,
    string Temporality);
