using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A thin client of the queue API for tests of the HTTP contract itself: status codes, problem bodies, field names,
/// dedup and request ids on the wire, the owner and epoch an answer names, a request sent through one chosen node, and
/// topic options a client does not set. A test of what a client user sees goes through DistSync.Client
/// (<see cref="ClusterFixture.CreateDistSyncClient"/>) instead.
/// </summary>
public sealed class QueueClient(HttpClient http)
{
    public sealed record Reply(HttpStatusCode Code, JsonElement Body, string Text)
    {
        public string? Status => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

        public string Id => Body.GetProperty("id").GetString()!;

        public string? Field => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("field", out var f) ? f.GetString() : null;
    }

    public Task<Reply> PublishAsync(string topic, string payloadJson, string? key = null, string? dedupId = null, double? delaySec = null, int? partitions = null, int? maxDeliveries = null) =>
        PostRawAsync("/queue/publish", Json(new Dictionary<string, object?>
        {
            ["topic"] = topic, ["key"] = key, ["dedup_id"] = dedupId, ["delay_sec"] = delaySec, ["partitions"] = partitions, ["max_deliveries"] = maxDeliveries,
        }, ("payload", payloadJson)));

    public Task<Reply> ConsumeAsync(string topic, double? visibilitySec = null, double? waitSec = null, int? maxMessages = null) =>
        PostAsync("/queue/consume", new Dictionary<string, object?> { ["topic"] = topic, ["visibility_timeout_sec"] = visibilitySec, ["wait_sec"] = waitSec, ["max_messages"] = maxMessages });

    public Task<Reply> AckAsync(string topic, string id, string? receipt = null) =>
        PostAsync("/queue/ack", new Dictionary<string, object?> { ["topic"] = topic, ["id"] = id, ["receipt"] = receipt });

    public Task<Reply> NackAsync(string topic, string id, double? delaySec = null) =>
        PostAsync("/queue/nack", new Dictionary<string, object?> { ["topic"] = topic, ["id"] = id, ["delay_sec"] = delaySec });

    public Task<Reply> PostAsync(string path, Dictionary<string, object?> body) =>
        PostRawAsync(path, JsonSerializer.Serialize(body.Where(p => p.Value is not null).ToDictionary()));

    public async Task<Reply> GetAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync(new Uri(pathAndQuery, UriKind.Relative), TestContext.Current.CancellationToken);
        return await ReadAsync(response);
    }

    public async Task<Reply> PostRawAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content, TestContext.Current.CancellationToken);
        return await ReadAsync(response);
    }

    private static async Task<Reply> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Reply(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    /// <summary>The body with one raw JSON member spliced in, so a payload's exact text reaches the node.</summary>
    private static string Json(Dictionary<string, object?> fields, (string Name, string RawJson) raw)
    {
        var rest = JsonSerializer.Serialize(fields.Where(p => p.Value is not null).ToDictionary());
        return $"{{\"{raw.Name}\":{raw.RawJson}{(rest == "{}" ? "" : "," + rest[1..^1])}}}";
    }
}
