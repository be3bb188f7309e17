using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;

namespace DistSync.Client;

/// <summary>
/// DistSync as an <see cref="IDistributedCache"/>, so <c>HybridCache</c> and code written against the interface use the
/// coherent cache. Bytes travel as a base64 JSON string. Absolute expiry (either form) becomes the entry's time to live;
/// sliding expiry is refused with <see cref="NotSupportedException"/> (the cache has no reads that extend an entry),
/// so <see cref="Refresh"/> has nothing to do.
/// </summary>
public sealed class DistSyncDistributedCache(DistSyncClient client, TimeProvider? time = null) : IDistributedCache
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        await client.Cache.GetJsonAsync(key, token).ConfigureAwait(false) is { ValueKind: JsonValueKind.String } value ? value.GetBytesFromBase64() : null;

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SlidingExpiration is not null)
        {
            throw new NotSupportedException("DistSync's cache has absolute expiry only: use AbsoluteExpiration or AbsoluteExpirationRelativeToNow.");
        }

        var ttl = options.AbsoluteExpirationRelativeToNow
            ?? (options.AbsoluteExpiration is { } at ? at - _time.GetUtcNow() : null);
        if (ttl is { } t && t <= TimeSpan.Zero)
        {
            return client.Cache.DeleteAsync(key, token); // already expired: what a read sees is nothing
        }

        return client.Cache.SetJsonAsync(key, JsonSerializer.SerializeToElement(Convert.ToBase64String(value)), ttl, token);
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default) => client.Cache.DeleteAsync(key, token);
}
