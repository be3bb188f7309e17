using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A thin client of the lock and session API for tests of the HTTP contract itself: status codes, problem bodies, field
/// names, request ids and leases on the wire, consistency parameters, a request sent through one chosen node, and lock
/// tables a client cannot make (TTL leases). A test of what a client user sees goes through DistSync.Client
/// (<see cref="ClusterFixture.CreateDistSyncClient"/>) instead.
/// </summary>
public sealed class LockClient(HttpClient http)
{
    public sealed record Reply(HttpStatusCode Code, JsonElement Body)
    {
        public string? ContentType { get; init; }

        public string? Status => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

        public long FencingToken => Body.GetProperty("fencing_token").GetInt64();

        public long SessionId => Body.GetProperty("session_id").GetInt64();

        /// <summary>A problem's <c>type</c>, or null.</summary>
        public string? ProblemType => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("type", out var t) ? t.GetString() : null;
    }

    public Task<Reply> AcquireAsync(string resource, string client, string mode = "exclusive", long? waitMs = null, long? ttlMs = null) =>
        PostAsync("/locks/acquire", new Dictionary<string, object?> { ["resource"] = resource, ["client_id"] = client, ["mode"] = mode, ["wait_ms"] = waitMs, ["ttl_ms"] = ttlMs });

    /// <summary>An acquire whose hold and wait belong to the session (no ttl_ms).</summary>
    public Task<Reply> AcquireInSessionAsync(string resource, string client, long sessionId, string mode = "exclusive", long? waitMs = null) =>
        PostAsync("/locks/acquire", new Dictionary<string, object?> { ["resource"] = resource, ["client_id"] = client, ["mode"] = mode, ["wait_ms"] = waitMs, ["session_id"] = sessionId });

    public Task<Reply> CreateSessionAsync(long? ttlMs = null, string? requestId = null) =>
        PostAsync("/sessions", new Dictionary<string, object?> { ["ttl_ms"] = ttlMs, ["request_id"] = requestId });

    public Task<Reply> KeepAliveAsync(long sessionId) =>
        PostAsync("/sessions/keepalive", new Dictionary<string, object?> { ["session_id"] = sessionId });

    public async Task<Reply> CloseSessionAsync(long sessionId)
    {
        using var response = await http.DeleteAsync(new Uri($"/sessions/{sessionId}", UriKind.Relative), TestContext.Current.CancellationToken);
        return await ReplyAsync(response);
    }

    public Task<Reply> SessionAsync(long sessionId, bool local = false) =>
        GetAsync($"/sessions/{sessionId}{(local ? "?consistency=local" : "")}");

    public Task<Reply> ResourceAsync(string name, bool local = false) =>
        GetAsync($"/locks/resource?name={Uri.EscapeDataString(name)}{(local ? "&consistency=local" : "")}");

    public async Task<Reply> GetAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync(new Uri(pathAndQuery, UriKind.Relative), TestContext.Current.CancellationToken);
        return await ReplyAsync(response);
    }

    public Task<Reply> ReleaseAsync(string resource, string client, long? fencingToken = null) =>
        PostAsync("/locks/release", new Dictionary<string, object?> { ["resource"] = resource, ["client_id"] = client, ["fencing_token"] = fencingToken });

    public Task<Reply> RenewAsync(string resource, string client, long ttlMs, long? fencingToken = null) =>
        PostAsync("/locks/renew", new Dictionary<string, object?> { ["resource"] = resource, ["client_id"] = client, ["ttl_ms"] = ttlMs, ["fencing_token"] = fencingToken });

    public Task<Reply> PostRawAsync(string path, string json) => SendAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public async Task<JsonElement> StateAsync(bool local = false)
    {
        using var response = await http.GetAsync(new Uri(local ? "/locks/state?consistency=local" : "/locks/state", UriKind.Relative), TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    private Task<Reply> PostAsync(string path, Dictionary<string, object?> body) =>
        SendAsync(path, JsonContent.Create(body.Where(p => p.Value is not null).ToDictionary()));

    private async Task<Reply> SendAsync(string path, HttpContent content)
    {
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content, TestContext.Current.CancellationToken);
        return await ReplyAsync(response);
    }

    private static async Task<Reply> ReplyAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Reply(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone()) { ContentType = response.Content.Headers.ContentType?.MediaType };
    }
}
