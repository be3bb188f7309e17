namespace DistSync.AppHost.Dashboard.Store;

/// <summary>
/// One data point. Gauges and sums carry <see cref="Value"/>; histograms carry count, sum and
/// buckets (<see cref="Value"/> is then the mean, or 0 when empty).
/// </summary>
public sealed record MetricPoint(
    DateTimeOffset Time,
    double Value,
    long? Count = null,
    double? Sum = null,
    IReadOnlyList<double>? Bounds = null,
    IReadOnlyList<long>? BucketCounts = null);
