namespace DistSync.AppHost.Dashboard;

/// <summary>Where a started dashboard listens and the secrets a client needs to reach it.</summary>
/// <param name="UiUrl">Browser UI and JSON API, e.g. http://127.0.0.1:18888.</param>
/// <param name="OtlpGrpcUrl">Value for OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_PROTOCOL=grpc.</param>
/// <param name="OtlpHttpUrl">Base URL of OTLP/HTTP (the exporter appends /v1/traces etc.).</param>
/// <param name="LoginUrl">UiUrl + /login?t=token: the line to print for the user.</param>
public sealed record DashboardEndpoints(
    Uri UiUrl,
    Uri OtlpGrpcUrl,
    Uri OtlpHttpUrl,
    Uri LoginUrl,
    string OtlpApiKey,
    string BrowserToken)
{
    /// <summary>Value for OTEL_EXPORTER_OTLP_HEADERS, as Aspire injects it.</summary>
    public string OtlpHeaders => $"x-otlp-api-key={OtlpApiKey}";
}
