using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DistSync.Tests.Infrastructure;

/// <summary>A thin client of the lock API for tests: status code plus the parsed body.</summary>
public sealed class LockClient(HttpClient http)
{
    public sealed record Reply(HttpStatusCode Code, JsonElement Body)
    {
        public string? Status => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

        public long FencingToken => Body.GetProperty("fencing_token").GetInt64();
    }

    public Task<Reply> AcquireAsync(string resource, string client, string mode = "exclusive", long? waitMs = null, long? ttlMs = null) =>
        PostAsync("/locks/acquire", new Dictionary<string, object?> { ["resource"] = resource, ["client_id"] = client, ["mode"] = mode, ["wait_ms"] = waitMs, ["ttl_ms"] = ttlMs });

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
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Reply(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
