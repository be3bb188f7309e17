namespace DistSync.Client;

/// <summary>
/// What <c>AddDistSyncClient</c> reads from configuration: the <c>DistSync:Client</c> section, and the connection string
/// <c>ConnectionStrings:{name}</c> that an Aspire AppHost's <c>WithReference</c> hands the app.
/// </summary>
public sealed class DistSyncClientSettings
{
    /// <summary><c>Endpoints=http://host:8001,…;Token=…</c>; from <c>ConnectionStrings:{name}</c> unless set here.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Names this app's client in lock tables and audit logs (default: unique per instance).</summary>
    public string? ClientId { get; set; }

    /// <summary>The lock session's time to live (default 15 s).</summary>
    public TimeSpan? SessionTtl { get; set; }

    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>The node beside this app that serves its cache reads and writes (see <see cref="DistSyncClientOptions.CacheNode"/>).</summary>
    public Uri? CacheNode { get; set; }

    /// <summary>No <c>distsync</c> health check (it asks a node whether the cluster has a leader).</summary>
    public bool DisableHealthChecks { get; set; }

    /// <summary>No <c>DistSync.Client</c> traces in the app's OpenTelemetry.</summary>
    public bool DisableTracing { get; set; }

    /// <summary>No <c>DistSync.Client</c> metrics in the app's OpenTelemetry.</summary>
    public bool DisableMetrics { get; set; }

    internal DistSyncClientOptions ToOptions(string connectionName)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException(
                $"No DistSync connection string: set ConnectionStrings:{connectionName} (an Aspire AppHost does it with WithReference) or DistSync:Client:ConnectionString.");
        }

        var parsed = DistSyncClientOptions.FromConnectionString(ConnectionString);
        return new DistSyncClientOptions
        {
            Endpoints = parsed.Endpoints,
            Token = parsed.Token,
            ClientId = ClientId ?? parsed.ClientId,
            SessionTtl = SessionTtl ?? parsed.SessionTtl,
            RequestTimeout = RequestTimeout ?? parsed.RequestTimeout,
            CacheNode = CacheNode,
        };
    }
}
