using System.Net.Sockets;
using DistSync.AppHost.Dashboard;
using DistSync.AppHost.Dashboard.Store;

namespace DistSync.AppHost.Hosting;

/// <summary>
/// Everything <c>dotnet run --project DistSync.AppHost</c> starts: the dashboard first (so nodes know
/// where to export), then Redis and the nodes. Tests start the same session with other options.
/// </summary>
public sealed class AppHostSession : IAsyncDisposable
{
    private readonly ResourceCatalog _catalog;
    private readonly WebApplication? _dashboard;

    private AppHostSession(DistributedApplication app, ResourceCatalog catalog, WebApplication? dashboard)
    {
        App = app;
        _catalog = catalog;
        _dashboard = dashboard;
        Dashboard = dashboard?.GetEndpoints();
    }

    public DistributedApplication App { get; }

    /// <summary>Where the dashboard listens, or null when it is off.</summary>
    public DashboardEndpoints? Dashboard { get; }

    /// <summary>The telemetry the dashboard received, or null when it is off.</summary>
    public TelemetryStore? Telemetry => _dashboard?.GetTelemetryStore();

    public static async Task<AppHostSession> StartAsync(AppHostOptions options, CancellationToken cancellationToken)
    {
        var catalog = new ResourceCatalog();
        WebApplication? dashboard = null;
        DistributedApplication? app = null;
        try
        {
            var builder = ClusterTopology.Declare(options);
            if (options.Dashboard)
            {
                dashboard = await StartDashboardAsync(options, catalog, cancellationToken);
                var endpoints = dashboard.GetEndpoints();
                builder.WithOtlpExporter(endpoints.OtlpGrpcUrl, endpoints.OtlpHeaders);
            }

            app = builder.Build();
            catalog.Attach(app);
            var session = new AppHostSession(app, catalog, dashboard);
            await app.StartAsync(cancellationToken);
            return session;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await catalog.DisposeAsync();
            if (dashboard is not null)
            {
                await dashboard.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await _catalog.DisposeAsync();
        if (_dashboard is not null)
        {
            await _dashboard.StopAsync(CancellationToken.None);
            await _dashboard.DisposeAsync();
        }
    }

    private static async Task<WebApplication> StartDashboardAsync(AppHostOptions options, ResourceCatalog catalog, CancellationToken cancellationToken)
    {
        var dashboard = DashboardHost.Build(new DashboardOptions
        {
            UiPort = options.DashboardPort,
            OtlpGrpcPort = options.OtlpGrpcPort,
            OtlpHttpPort = options.OtlpHttpPort,
            RequireLogin = options.DashboardAuth,
            MaxLogRecords = options.MaxLogRecords,
            MaxTraces = options.MaxTraces,
            MaxMetricPoints = options.MaxMetricPoints,
        }, catalog);
        try
        {
            await dashboard.StartAsync(cancellationToken);
            return dashboard;
        }
        catch (IOException ex) when (ex.InnerException is SocketException or null)
        {
            await dashboard.DisposeAsync();
            throw new AppHostException($"The dashboard cannot listen ({ex.Message}): is another AppHost running? Pick other ports with --dashboard-port/--otlp-grpc-port/--otlp-http-port, or --no-dashboard.");
        }
    }
}
