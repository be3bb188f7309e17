using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using DistSync.AppHost.Dashboard.Api;
using DistSync.AppHost.Dashboard.Auth;
using DistSync.AppHost.Dashboard.Otlp;
using DistSync.AppHost.Dashboard.Store;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DistSync.AppHost.Dashboard;

/// <summary>
/// Builds the observability dashboard: one Kestrel server with three loopback listeners (UI + JSON
/// API, OTLP/gRPC, OTLP/HTTP). The caller starts it, reads <see cref="GetEndpoints"/>, and disposes it.
/// </summary>
public static class DashboardHost
{
    /// <summary>Builds (does not start) the dashboard.</summary>
    /// <param name="resources">The orchestrator's resources, shown on the Resources, Console and Cluster pages.</param>
    /// <param name="forwardLogs">Where the dashboard's own logs go (warnings and up from ASP.NET Core); none when null.</param>
    public static WebApplication Build(DashboardOptions options, IResourceCatalog resources, ILoggerProvider? forwardLogs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resources);
        options.Validate();
        var state = new DashboardState(
            options,
            string.IsNullOrEmpty(options.OtlpApiKey) ? NewSecret() : options.OtlpApiKey,
            string.IsNullOrEmpty(options.BrowserToken) ? NewSecret() : options.BrowserToken);
        var listeners = new DashboardListeners();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardHost).Assembly.GetName().Name,
            Args = [],
        });
        // The dashboard is configured by its options only: the AppHost's appsettings, ASPNETCORE_URLS or
        // Kestrel sections (meant for other things) must not add listeners or change it.
        ((IConfigurationBuilder)builder.Configuration).Sources.Clear();
        builder.Logging.ClearProviders();
        if (forwardLogs is not null)
        {
            builder.Logging.AddProvider(forwardLogs);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = 32 * 1024 * 1024;
            // Without TLS, HTTP/2 is only possible with prior knowledge, so the UI and OTLP/HTTP speak HTTP/1.1.
            kestrel.Listen(IPAddress.Loopback, options.UiPort, l => { l.Protocols = HttpProtocols.Http1; listeners.Ui = l; });
            // gRPC needs HTTP/2: prior knowledge on its own listener.
            kestrel.Listen(IPAddress.Loopback, options.OtlpGrpcPort, l => { l.Protocols = HttpProtocols.Http2; listeners.OtlpGrpc = l; });
            kestrel.Listen(IPAddress.Loopback, options.OtlpHttpPort, l => { l.Protocols = HttpProtocols.Http1; listeners.OtlpHttp = l; });
        });

        var services = builder.Services;
        services.AddSingleton(state);
        services.AddSingleton(listeners);
        services.AddSingleton(resources);
        services.AddSingleton(new TelemetryStore(options.MaxTraces, options.MaxLogRecords, options.MaxMetricPoints, options.MaxSpansPerTrace));
        services.AddSingleton(new OtlpApiKey(state.OtlpApiKey));
        services.AddSingleton<BrowserAuth>();
        services.AddSingleton<OtlpApiKeyInterceptor>();
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = 32 * 1024 * 1024;
            grpc.Interceptors.Add<OtlpApiKeyInterceptor>();
        });
        services.AddHttpClient(ClusterApi.HttpClientName);
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });

        var app = builder.Build();
        app.UseMiddleware<DashboardPortRouting>();
        app.UseMiddleware<BrowserAuthMiddleware>();
        app.MapGrpcService<OtlpTraceGrpcService>();
        app.MapGrpcService<OtlpLogsGrpcService>();
        app.MapGrpcService<OtlpMetricsGrpcService>();
        app.MapOtlpHttpApi();
        app.MapLoginApi();
        app.MapPagesApi();
        app.MapResourcesApi();
        app.MapTelemetryApi();
        app.MapClusterApi();
        app.MapEventsApi();
        return app;
    }

    /// <summary>Addresses and secrets of a started dashboard (real ports, also when 0 was configured).</summary>
    public static DashboardEndpoints GetEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var state = app.Services.GetRequiredService<DashboardState>();
        var listeners = app.Services.GetRequiredService<DashboardListeners>();
        var ui = new Uri($"http://127.0.0.1:{listeners.UiPort}");
        if (listeners.UiPort == 0)
        {
            throw new InvalidOperationException("Start the dashboard before reading its endpoints: port 0 is bound at start.");
        }

        return new DashboardEndpoints(
            ui,
            new Uri($"http://127.0.0.1:{listeners.OtlpGrpcPort}"),
            new Uri($"http://127.0.0.1:{listeners.OtlpHttpPort}"),
            new Uri(ui, $"/login?t={Uri.EscapeDataString(state.BrowserToken)}"),
            state.OtlpApiKey,
            state.BrowserToken);
    }

    /// <summary>The dashboard's telemetry store, e.g. to subscribe to <see cref="TelemetryStore.Changed"/>.</summary>
    public static TelemetryStore GetTelemetryStore(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<TelemetryStore>();
    }

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
