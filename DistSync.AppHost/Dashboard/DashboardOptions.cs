namespace DistSync.AppHost.Dashboard;

/// <summary>
/// Ports, secrets and memory limits of the dashboard. Defaults are Aspire's ports; port 0 asks the
/// OS for a free port (tests), readable after start through <see cref="DashboardHost.GetEndpoints"/>.
/// </summary>
public sealed class DashboardOptions
{
    /// <summary>Browser UI and JSON API. Default 18888.</summary>
    public int UiPort { get; set; } = 18888;

    /// <summary>OTLP over gRPC (HTTP/2 without TLS). Default 18889.</summary>
    public int OtlpGrpcPort { get; set; } = 18889;

    /// <summary>OTLP over HTTP (protobuf or JSON). Default 18890.</summary>
    public int OtlpHttpPort { get; set; } = 18890;

    /// <summary>Value every OTLP request must carry in the x-otlp-api-key header; generated when empty.</summary>
    public string OtlpApiKey { get; set; } = "";

    /// <summary>Token a browser logs in with (/login?t=...); generated when empty.</summary>
    public string BrowserToken { get; set; } = "";

    /// <summary>False turns the browser login off (local use only).</summary>
    public bool RequireLogin { get; set; } = true;

    /// <summary>Log records kept; the oldest is dropped first.</summary>
    public int MaxLogRecords { get; set; } = 10_000;

    /// <summary>Traces kept; the oldest trace (by first span received) is dropped first.</summary>
    public int MaxTraces { get; set; } = 10_000;

    /// <summary>Metric data points kept over all instruments; the oldest point is dropped first.</summary>
    public int MaxMetricPoints { get; set; } = 50_000;

    /// <summary>Spans kept per trace, so one runaway trace cannot take all the memory.</summary>
    public int MaxSpansPerTrace { get; set; } = 2_000;

    /// <summary>Throws when a limit or port is out of range.</summary>
    public void Validate()
    {
        foreach (var (name, port) in new[] { (nameof(UiPort), UiPort), (nameof(OtlpGrpcPort), OtlpGrpcPort), (nameof(OtlpHttpPort), OtlpHttpPort) })
        {
            if (port is < 0 or > 65535)
            {
                throw new ArgumentOutOfRangeException(name, port, "A port is between 0 and 65535.");
            }
        }

        foreach (var (name, limit) in new[] { (nameof(MaxLogRecords), MaxLogRecords), (nameof(MaxTraces), MaxTraces), (nameof(MaxMetricPoints), MaxMetricPoints), (nameof(MaxSpansPerTrace), MaxSpansPerTrace) })
        {
            if (limit < 1)
            {
                throw new ArgumentOutOfRangeException(name, limit, "A limit is at least 1.");
            }
        }
    }
}
