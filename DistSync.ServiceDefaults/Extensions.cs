using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What Aspire's ServiceDefaults template does — OpenTelemetry, health checks, service discovery,
/// resilience — plus DistSync's own activity sources and meters, so a node behaves the same under our
/// AppHost and under a real Aspire AppHost.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>
    /// Set on internal requests worth a span. Peer traffic without it (Raft heartbeats: twenty a second
    /// per peer) is kept out of traces, or it would bury everything worth reading.
    /// </summary>
    public const string TracedHeader = "X-DistSync-Traced";

    /// <summary>Activity sources and meters, one per feature (docs/operations.md, Telemetry).</summary>
    public static readonly IReadOnlyList<string> DistSyncTelemetryNames =
        ["DistSync.Consensus", "DistSync.Locks", "DistSync.Queue", "DistSync.Cache", "DistSync.Cluster"];

    /// <summary>Spans traced whatever the rate: rare, and what a user opens the dashboard for.</summary>
    public static readonly IReadOnlyList<string> AlwaysTraced = ["raft.election", "queue.ring.rebalance"];

    /// <summary>
    /// New traces a second per node: <c>DistSync:Telemetry:MaxTracesPerSecond</c>, default 20; 0 traces every request
    /// (what Aspire's <c>OTEL_TRACES_SAMPLER=always_on</c> asks for, and what costs half the throughput on 2 cores).
    /// </summary>
    public static double? MaxTracesPerSecond(IConfiguration configuration) =>
        configuration.GetValue("DistSync:Telemetry:MaxTracesPerSecond", 20.0) is var rate && rate > 0 ? rate : null;

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        // Resilience goes on named clients, not on every client: a default handler would also wrap the
        // OTLP exporter's client and retry telemetry on shutdown. See AddResilientHttpClient.
        builder.Services.ConfigureHttpClientDefaults(http => http.AddServiceDiscovery());
        return builder;
    }

    /// <summary>A named HttpClient with service discovery and the standard resilience pipeline.</summary>
    public static IHttpClientBuilder AddResilientHttpClient(this IServiceCollection services, string name)
    {
        var client = services.AddHttpClient(name);
        client.AddStandardResilienceHandler();
        return client;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter([.. DistSyncTelemetryNames]);
            })
            .WithTracing(tracing =>
            {
                if (MaxTracesPerSecond(builder.Configuration) is { } perSecond)
                {
                    tracing.SetSampler(services => new ParentBasedSampler(
                        new RateLimitedSampler(perSecond, AlwaysTraced, services.GetService<TimeProvider>())));
                }

                tracing.AddSource([.. DistSyncTelemetryNames])
                    .AddAspNetCoreInstrumentation(options =>
                        options.Filter = context => IsWorthTracing(context.Request.Path, context.Request.Headers.ContainsKey(TracedHeader)))
                    .AddHttpClientInstrumentation(options =>
                        options.FilterHttpRequestMessage = request =>
                            request.RequestUri is not { } uri || IsWorthTracing(uri.AbsolutePath, request.Headers.Contains(TracedHeader)));
            });

        builder.AddOpenTelemetryExporters();
        return builder;
    }

    private static void AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT/_PROTOCOL/_HEADERS itself; without an endpoint
        // there is nobody to export to, so nothing is turned on.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // 10 s by default; a dashboard on the same machine answers in milliseconds, and a node must not spend
            // its stop retrying a dashboard that is stopping too (the AppHost stops both at once).
            if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_TIMEOUT"]))
            {
                builder.Configuration["OTEL_EXPORTER_OTLP_TIMEOUT"] = "2000";
            }

            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
    }

    /// <summary>
    /// Paths polled every second or faster (health probes, the AppHost reading each node's Raft state, the cluster
    /// page and its peer reads) would bury the traces worth reading; peer traffic is traced only when marked.
    /// </summary>
    private static readonly string[] PolledPaths = [HealthEndpointPath, AlivenessEndpointPath, "/raft/status", "/cluster"];

    private static bool IsWorthTracing(PathString path, bool marked) =>
        !PolledPaths.Any(p => path.StartsWithSegments(p)) && (!path.StartsWithSegments("/internal") || marked);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (readiness: every check) and <c>/alive</c> (liveness: the "live" checks).
    /// Mapped in every environment, not only Development as in Aspire's template: our AppHost and
    /// container platforms probe them to decide whether a node is up.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, Func<HttpContext, HealthReport, Task>? writeHealth = null)
    {
        var health = new HealthCheckOptions();
        if (writeHealth is not null)
        {
            health.ResponseWriter = writeHealth;
        }

        // Orchestrators and load balancers probe these without credentials.
        app.MapHealthChecks(HealthEndpointPath, health).ExcludeFromDescription().AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") })
            .ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
