using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DistSync.AppHost.Dashboard.Store;

namespace DistSync.AppHost.Dashboard.Api;

/// <summary>
/// GET /api/events: a server-sent event "changed" whose data names what changed (resources, traces,
/// logs, metrics), so pages refetch only when there is something new.
/// </summary>
internal static class EventsApi
{
    // Per connection; a slow browser only misses duplicate notifications, never blocks the store.
    private const int BufferedNotifications = 16;

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", (TelemetryStore store, IResourceCatalog catalog, IHostApplicationLifetime lifetime, CancellationToken ct) =>
                TypedResults.ServerSentEvents(StreamAsync(store, catalog, lifetime.ApplicationStopping, ct)))
            .WithName("GetEvents").WithSummary("Server-sent change notifications for live pages.");
        return app;
    }

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        TelemetryStore store, IResourceCatalog catalog, CancellationToken stopping, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(BufferedNotifications) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnTelemetry(TelemetryKind kind) => channel.Writer.TryWrite(kind.ToString().ToLowerInvariant());
        void OnCatalog() => channel.Writer.TryWrite("resources");
        store.Changed += OnTelemetry;
        catalog.Changed += OnCatalog;
        // Ends with the request or with the host, so open pages never hold up shutdown.
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, stopping);
        try
        {
            yield return new SseItem<string>("ready", "changed");
            while (!both.IsCancellationRequested)
            {
                string kind;
                try
                {
                    kind = await channel.Reader.ReadAsync(both.Token);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                yield return new SseItem<string>(kind, "changed");
            }
        }
        finally
        {
            store.Changed -= OnTelemetry;
            catalog.Changed -= OnCatalog;
        }
    }
}
