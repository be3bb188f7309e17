using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>What a node answered, as a history records it: the outcome, the status (0 when none came) and the body.</summary>
public readonly record struct Answer(Outcome Outcome, int Status, JsonElement Body, string? Detail)
{
    public bool IsOk => Outcome == Outcome.Ok;
}

/// <summary>
/// The workloads' HTTP client. Every request has a deadline (<see cref="Timeout"/>), and its answer is classified as a
/// fault-harness history needs it: 2xx ok; 4xx failed (the node refused and changed nothing); 5xx, a timeout or a
/// connection lost after the request went out unknown (it may have been applied); a connection never made failed.
/// Each operation is also counted in the run's <see cref="RunRecorder"/>, for the report's charts: a failure there is
/// a refusal, an unknown outcome a failure.
/// </summary>
public sealed class ChaosHttp : IDisposable
{
    /// <summary>Long enough for an election and a forward; short enough that a paused node's clients move on.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>The detail of a request that never reached a node (nothing listening, or no connection within a second).</summary>
    public const string NoConnection = "no connection";

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly SocketsHttpHandler _handler = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        UseProxy = false,
    };

    private readonly HttpClient _http;
    private readonly RunRecorder _recorder;

    public ChaosHttp(RunRecorder recorder)
    {
        _recorder = recorder;
        _http = new HttpClient(_handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        ApiToken.Apply(_http);
    }

    /// <summary>Microseconds since the run began: the history's clock, the recorder's origin.</summary>
    public long Now() => _recorder.Elapsed.Ticks / 10;

    public Task<Answer> PostAsync(Uri url, byte[] body, string endpoint, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, url, body, endpoint, cancellationToken);

    public Task<Answer> GetAsync(Uri url, string endpoint, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, url, null, endpoint, cancellationToken);

    public async Task<Answer> SendAsync(HttpMethod method, Uri url, byte[]? body, string endpoint, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var answer = await ExchangeAsync(method, url, body, cancellationToken);
        _recorder.Record(endpoint, started, answer.Outcome switch
        {
            Outcome.Ok => OpResult.Ok,
            Outcome.Failed => OpResult.Refused(answer.Detail ?? "failed"),
            _ => OpResult.Failed(answer.Detail ?? "unknown"),
        });
        return answer;
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    private async Task<Answer> ExchangeAsync(HttpMethod method, Uri url, byte[]? body, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = Json;
        }

        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            var parsed = Parse(text);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new Answer(Outcome.Ok, status, parsed, null);
            }

            var detail = $"{status} {Text(parsed, "status") ?? Text(parsed, "detail") ?? Text(parsed, "title") ?? ""}".TrimEnd();
            return new Answer(status is >= 400 and < 500 ? Outcome.Failed : Outcome.Unknown, status, parsed, detail);
        }
        catch (OperationCanceledException)
        {
            // Timed out, or the run ended under it: either way the request may have reached the node.
            return new Answer(Outcome.Unknown, 0, default, cancellationToken.IsCancellationRequested ? "cancelled" : "timeout");
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            // The connection was never made, so the request never reached a node.
            return new Answer(Outcome.Failed, 0, default, NoConnection);
        }
        catch (HttpRequestException ex)
        {
            return new Answer(Outcome.Unknown, 0, default, ex.HttpRequestError == HttpRequestError.Unknown ? "connection lost" : ex.HttpRequestError.ToString());
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // HttpClient lets these out when a connection is reset at the wrong moment; the request may have gone.
            return new Answer(Outcome.Unknown, 0, default, "connection lost");
        }
    }

    private static JsonElement Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    public static string? Text(JsonElement body, string name) =>
        Property(body, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>A field of an answer's JSON object, or null when the body is no object (empty, not JSON) or lacks it.</summary>
    public static JsonElement? Property(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) ? value : null;
}
