namespace DistSync.Client;

/// <summary>
/// DistSync's .NET client: <see cref="Locks"/>, <see cref="Queue"/> and <see cref="Cache"/> over one set of connections
/// to the cluster's nodes. Thread-safe; make one per app and dispose it when the app stops.
/// </summary>
public sealed class DistSyncClient : IAsyncDisposable, IDisposable
{
    private readonly NodeTransport _transport;

    public DistSyncClient(DistSyncClientOptions options)
        : this(options, handler: null)
    {
    }

    internal DistSyncClient(DistSyncClientOptions options, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _transport = new NodeTransport(options, handler);
        var router = new Router(_transport, TimeProvider.System, options.DiscoverNodes);
        _transport.PreferredFailed = () => router.Invalidate();
        Locks = new DistSyncLocks(_transport, router, options, TimeProvider.System);
        Queue = new DistSyncQueue(_transport, router, options);
        Cache = new DistSyncCache(_transport, router, options);
    }

    public DistSyncClientOptions Options { get; }

    /// <summary>The client id this client's locks are held under.</summary>
    public string ClientId => Options.ClientId;

    public DistSyncLocks Locks { get; }

    public DistSyncQueue Queue { get; }

    public DistSyncCache Cache { get; }

    /// <summary>A client for <c>Endpoints=http://host:8001,http://host:8002;Token=…</c>.</summary>
    public static DistSyncClient FromConnectionString(string connectionString) => new(DistSyncClientOptions.FromConnectionString(connectionString));

    /// <summary>True when some node answers <c>/health</c> with a known leader.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var answer = await _transport.SendAsync(HttpMethod.Get, "/health", null, Retry.Safe, "health", cancellationToken).ConfigureAwait(false);
            return NodeTransport.Text(answer.Body, "leader_id") is not null;
        }
        catch (DistSyncException)
        {
            return false;
        }
    }

    /// <summary>Closes the lock session (releasing its holds) and the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await Locks.DisposeAsync().ConfigureAwait(false);
        _transport.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
