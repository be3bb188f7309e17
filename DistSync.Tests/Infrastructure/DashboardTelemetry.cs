using System.Net.Http.Json;
using System.Text.Json;

namespace DistSync.Tests.Infrastructure;

/// <summary>One span as the Aspire dashboard's telemetry API returns it (OTLP JSON), flattened for assertions.</summary>
public sealed record SpanRecord(string Resource, string TraceId, string SpanId, string? ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>Reads what the real Aspire dashboard received: <c>GET /api/telemetry/spans</c> with the API key.</summary>
public sealed class DashboardTelemetry(DashboardAccess dashboard) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = dashboard.Url, Timeout = TimeSpan.FromSeconds(10) };

    public async Task<IReadOnlyList<SpanRecord>> SpansAsync(int limit = 5000)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/telemetry/spans?limit={limit}");
        request.Headers.Add("x-api-key", dashboard.ApiKey);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return []; // no resource has sent telemetry yet
        }

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        if (!body.TryGetProperty("data", out var data) || !data.TryGetProperty("resourceSpans", out var resourceSpans))
        {
            return [];
        }

        var spans = new List<SpanRecord>();
        foreach (var resource in resourceSpans.EnumerateArray())
        {
            var service = Attributes(resource.GetProperty("resource")).GetValueOrDefault("service.name", "?");
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    spans.Add(new SpanRecord(
                        service,
                        span.GetProperty("traceId").GetString()!,
                        span.GetProperty("spanId").GetString()!,
                        span.TryGetProperty("parentSpanId", out var parent) && parent.GetString() is { Length: > 0 } p ? p : null,
                        span.GetProperty("name").GetString()!,
                        Attributes(span)));
                }
            }
        }

        return spans;
    }

    public void Dispose() => _http.Dispose();

    private static Dictionary<string, string> Attributes(JsonElement owner)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!owner.TryGetProperty("attributes", out var attributes))
        {
            return result;
        }

        foreach (var attribute in attributes.EnumerateArray())
        {
            var value = attribute.GetProperty("value");
            result[attribute.GetProperty("key").GetString()!] = value.EnumerateObject().FirstOrDefault() is { Value: var v } ? v.ToString() : "";
        }

        return result;
    }
}
