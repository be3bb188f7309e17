namespace DistSync.AppHost.Dashboard;

/// <summary>The options as resolved at build time: generated secrets filled in.</summary>
internal sealed class DashboardState(DashboardOptions options, string otlpApiKey, string browserToken)
{
    public DashboardOptions Options { get; } = options;

    public string OtlpApiKey { get; } = otlpApiKey;

    public string BrowserToken { get; } = browserToken;
}
