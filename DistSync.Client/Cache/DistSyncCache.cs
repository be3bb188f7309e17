using System.Diagnostics;
using System.Text.Json;

namespace DistSync.Client;

/// <summary>
/// The coherent cache: a read returns the value of the last completed write, whichever node serves it; a write returns
/// once every other node's copy is gone. Values are JSON (up to 1 MiB); keys up to 512 bytes.
/// </summary>
public sealed class DistSyncCache
{
    private readonly NodeTransport _transport;
    private readonly Router _router;
    private readonly DistSyncClientOptions _options;

    internal DistSyncCache(NodeTransport transport, Router router, DistSyncClientOptions options)
    {
        _transport = transport;
        _router = router;
        _options = options;
    }

    /// <summary>The key's value, or <c>default</c> when it has none (never set, deleted, or expired).</summary>
    public async Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var value = await GetJsonAsync(key, cancellationToken).ConfigureAwait(false);
        return value is { } json ? json.Deserialize<T>(_options.PayloadJson) : default;
    }

    /// <summary>Sets the key for everyone; <paramref name="ttl"/> makes it expire (at most a year), else it stays.</summary>
    public Task SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        SetJsonAsync(key, JsonSerializer.SerializeToElement(value, _options.PayloadJson), ttl, cancellationToken);

    /// <summary>Removes the key everywhere: every node then reads nothing.</summary>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        using var activity = DistSyncTelemetry.Start("cache.delete", key);
        var started = Stopwatch.GetTimestamp();
        // Deleting twice leaves what deleting once does, so a retry is safe.
        await _transport.SendAsync(HttpMethod.Post, "/cache/delete", new { key }, Retry.Safe, "cache.delete", cancellationToken,
            await ServerAsync(key, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        DistSyncTelemetry.Record("cache.delete", started, "ok");
    }

    internal async Task<JsonElement?> GetJsonAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        using var activity = DistSyncTelemetry.Start("cache.get", key);
        var started = Stopwatch.GetTimestamp();
        // A hit is served by any node that holds the line; a miss goes to the home. Without a node of its own, the client
        // asks the home, whose own line is the one most likely valid.
        var answer = await _transport.SendAsync(HttpMethod.Get, $"/cache/get?key={Uri.EscapeDataString(key)}", null, Retry.Safe, "cache.get",
            cancellationToken, await ServerAsync(key, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        var status = NodeTransport.Text(answer.Body, "status") ?? "miss";
        activity?.SetTag("distsync.cache.status", status);
        DistSyncTelemetry.Record("cache.get", started, status);
        return answer.Body.TryGetProperty("value", out var value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;
    }

    internal async Task SetJsonAsync(string key, JsonElement value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (ttl is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A cache entry's time to live must be positive.");
        }

        using var activity = DistSyncTelemetry.Start("cache.set", key);
        var started = Stopwatch.GetTimestamp();
        // Not retried once it may have been applied: another client's later write could be overwritten by the retry.
        await _transport.SendAsync(HttpMethod.Post, "/cache/set", new { key, value, ttl_sec = ttl?.TotalSeconds }, Retry.OnlyIfNotApplied,
            "cache.set", cancellationToken, await ServerAsync(key, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        DistSyncTelemetry.Record("cache.set", started, "ok");
    }

    /// <summary>Where a key's requests go first: the app's own node if it has one, else the key's home.</summary>
    private async ValueTask<Uri?> ServerAsync(string key, CancellationToken cancellationToken) =>
        _options.CacheNode ?? await _router.HomeAsync(key, cancellationToken).ConfigureAwait(false);
}
