using System.Net;
using System.Text.Json;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A thin client of the cache API for tests of the HTTP contract itself: status codes, problem bodies, field names, and
/// what one chosen node answers (its line's state, version and hit or miss, <c>/cache/lines</c>). A test of what a client
/// user sees goes through DistSync.Client (<see cref="ClusterFixture.CreateDistSyncClient"/>) instead.
/// </summary>
public sealed class CacheClient(HttpClient http)
{
    private readonly QueueClient _json = new(http);

    public sealed record Read(HttpStatusCode Code, JsonElement Body)
    {
        public string? Status => Body.TryGetProperty("status", out var s) ? s.GetString() : null;

        /// <summary>The value as raw JSON text; null when the key has none.</summary>
        public string? Value => Body.GetProperty("value") is { ValueKind: not JsonValueKind.Null } v ? v.GetRawText() : null;

        public string State => Body.GetProperty("state").GetString()!;

        public long Version => Body.GetProperty("version").GetInt64();
    }

    public async Task<Read> GetAsync(string key)
    {
        var reply = await _json.GetAsync($"/cache/get?key={Uri.EscapeDataString(key)}");
        return new Read(reply.Code, reply.Body);
    }

    public Task<QueueClient.Reply> SetAsync(string key, string valueJson, double? ttlSec = null, string? policy = null) =>
        _json.PostRawAsync(policy is null ? "/cache/set" : $"/cache/set?policy={policy}",
            $"{{\"key\":{JsonSerializer.Serialize(key)},\"value\":{valueJson}{(ttlSec is { } t ? $",\"ttl_sec\":{t.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "")}}}");

    public Task<QueueClient.Reply> DeleteAsync(string key) => _json.PostAsync("/cache/delete", new() { ["key"] = key });

    public Task<QueueClient.Reply> InvalidateAsync(string key) => _json.PostAsync("/cache/invalidate", new() { ["key"] = key });

    /// <summary>Each node's state for the key, from <c>/cache/lines</c>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> LinesAsync(string key)
    {
        var reply = await _json.GetAsync($"/cache/lines?key={Uri.EscapeDataString(key)}");
        Assert.True(reply.Code == HttpStatusCode.OK, reply.Text);
        return reply.Body.GetProperty("lines").EnumerateArray().ToDictionary(l => l.GetProperty("node").GetString()!, l => l.GetProperty("state").GetString()!);
    }

    public Task<QueueClient.Reply> RawAsync(string path, string body) => _json.PostRawAsync(path, body);

    public Task<QueueClient.Reply> RawGetAsync(string pathAndQuery) => _json.GetAsync(pathAndQuery);
}
