using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace DistSync.Client;

/// <summary>What a request may do when an attempt fails: whether it can be sent again without applying twice.</summary>
internal enum Retry
{
    /// <summary>Reads, and writes that carry a request id: any failure may be retried.</summary>
    Safe,

    /// <summary>A write without a request id: retried only when nothing was sent or applied.</summary>
    OnlyIfNotApplied,
}

/// <summary>A request body that says which try it is (numbered from 1): a node can skip work only a repeat needs.</summary>
internal sealed record AttemptBody(Func<int, object> For);

/// <summary>One node's answer: its status and JSON body (a 409 refusal is an answer, not an error).</summary>
internal readonly record struct NodeAnswer(HttpStatusCode Status, JsonElement Body, Uri Node);

/// <summary>
/// Sends requests to the nodes: to the one a caller prefers (the leader, a partition's owner, a key's home) and, when it
/// cannot answer, to the others, for as long as <see cref="DistSyncClientOptions.RetryFor"/> allows and the request's
/// <see cref="Retry"/> says it is safe. Problems become <see cref="DistSyncException"/>s; a 503 that may have been
/// applied, with no safe retry left, becomes a <see cref="DistSyncUnavailableException"/> saying so.
/// </summary>
internal sealed class NodeTransport : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly HttpClient _http;
    private readonly DistSyncClientOptions _options;
    private Uri[] _nodes;
    private int _next;

    public NodeTransport(DistSyncClientOptions options, HttpMessageHandler? handler = null)
    {
        _options = options;
        _nodes = [.. options.Endpoints];
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            UseProxy = false,
        })
        {
            // Each attempt has its own timeout (below); a lock wait or a long poll lasts longer than one.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (options.Token is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>The nodes this client knows, the configured ones first until the cluster's topology says otherwise.</summary>
    public IReadOnlyList<Uri> Nodes => Volatile.Read(ref _nodes);

    /// <summary>Called when a preferred node could not answer: the routing it came from may be out of date.</summary>
    public Action? PreferredFailed { get; set; }

    /// <summary>
    /// The cluster's members as the topology names them, beside the configured endpoints (which always stay, unless the
    /// topology names the same node: on one machine a node configured as 127.0.0.1 may call itself localhost, and counted
    /// twice it would get twice the share of requests, and a retry meant for another node could go to it again).
    /// </summary>
    public void UseNodes(IEnumerable<Uri> nodes)
    {
        var members = nodes.Distinct().ToList();
        Volatile.Write(ref _nodes, [.. members, .. _options.Endpoints.Where(e => !members.Any(m => SameNode(m, e))).Distinct()]);
    }

    /// <summary>Two URLs of one node: the same scheme and port, and the same host or two names of this machine.</summary>
    internal static bool SameNode(Uri a, Uri b) =>
        a.Scheme == b.Scheme && a.Port == b.Port && (string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) || (a.IsLoopback && b.IsLoopback));

    /// <summary>
    /// Sends one request, to <paramref name="preferred"/> first if given. <paramref name="extraTime"/> is how long the node
    /// may legitimately hold the request (a lock's wait, a long poll) on top of the request timeout.
    /// </summary>
    public async Task<NodeAnswer> SendAsync(HttpMethod method, string path, object? body, Retry retry, string operation,
        CancellationToken cancellationToken, Uri? preferred = null, TimeSpan extraTime = default)
    {
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(_options.RetryFor.TotalSeconds * Stopwatch.Frequency);
        var mayHaveBeenApplied = false;
        var changes = method != HttpMethod.Get; // a read applies nothing, whatever became of it
        Exception? last = null;
        Uri? tried = null;
        for (var attempt = 0; ; attempt++)
        {
            // A retry goes to another node than the one that just failed.
            var node = attempt == 0 && preferred is not null ? preferred : NextNode(tried);
            tried = node;
            try
            {
                using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attemptTimeout.CancelAfter(_options.RequestTimeout + extraTime);
                using var request = new HttpRequestMessage(method, new Uri(node, path));
                var content = body is AttemptBody numbered ? numbered.For(attempt + 1) : body;
                if (content is not null)
                {
                    request.Content = JsonContent.Create(content, content.GetType(), options: Json);
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptTimeout.Token).ConfigureAwait(false);
                var json = await ReadJsonAsync(response, attemptTimeout.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    var applied = json.TryGetProperty("may_have_been_applied", out var flag) && flag.ValueKind == JsonValueKind.True;
                    mayHaveBeenApplied |= changes && applied;
                    last = new DistSyncUnavailableException(Describe(json, node), mayHaveBeenApplied);
                    if (applied && retry == Retry.OnlyIfNotApplied || Stopwatch.GetTimestamp() > deadline)
                    {
                        throw last;
                    }

                    if (attempt == 0 && preferred is not null)
                    {
                        PreferredFailed?.Invoke();
                    }

                    DistSyncTelemetry.Retried(operation, "unavailable");
                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.TooManyRequests && Stopwatch.GetTimestamp() < deadline)
                {
                    DistSyncTelemetry.Retried(operation, "rate");
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if ((int)response.StatusCode >= 400 && response.StatusCode != HttpStatusCode.Conflict)
                {
                    throw Problem(response.StatusCode, json);
                }

                return new NodeAnswer(response.StatusCode, json, node);
            }
            catch (Exception ex) when (IsTransportFailure(ex, cancellationToken, out var notSent))
            {
                // A request that may have reached the node may have been applied there.
                mayHaveBeenApplied |= changes && !notSent;
                last = new DistSyncUnavailableException($"{node} could not be reached: {ex.Message}", mayHaveBeenApplied, ex);
                if (!notSent && retry == Retry.OnlyIfNotApplied || Stopwatch.GetTimestamp() > deadline)
                {
                    throw last;
                }

                if (attempt == 0 && preferred is not null)
                {
                    PreferredFailed?.Invoke();
                }

                DistSyncTelemetry.Retried(operation, notSent ? "unreachable" : "lost");
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private Uri NextNode(Uri? avoid)
    {
        var nodes = Nodes;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[(int)((uint)Interlocked.Increment(ref _next) % (uint)nodes.Count)];
            if (avoid is null || !SameNode(node, avoid) || nodes.Count == 1)
            {
                return node;
            }
        }

        return nodes[0];
    }

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(1_000, 25 * (1 << Math.Min(attempt, 6))) * (0.5 + Random.Shared.NextDouble() / 2));

    /// <summary>
    /// A failure of the connection rather than an answer. <paramref name="notSent"/>: the request never left this process
    /// (the connection was refused), so it cannot have been applied.
    /// </summary>
    private static bool IsTransportFailure(Exception ex, CancellationToken caller, out bool notSent)
    {
        notSent = false;
        switch (ex)
        {
            case HttpRequestException http:
                notSent = http.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                    || http.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
                return true;
            case SocketException socket:
                // A connection reset as it opened can surface raw rather than wrapped (seen through a proxy that resets it).
                notSent = socket.SocketErrorCode is SocketError.ConnectionRefused;
                return true;
            case IOException:
                return true;
            case OperationCanceledException when !caller.IsCancellationRequested:
                return true; // the attempt's own timeout
            default:
                return false;
        }
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize<JsonElement>(bytes);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static DistSyncRequestException Problem(HttpStatusCode status, JsonElement json) => new(
        (int)status,
        Text(json, "title") ?? status.ToString(),
        Text(json, "detail"),
        Text(json, "field"),
        Text(json, "type"));

    private static string Describe(JsonElement json, Uri node) => $"{Text(json, "title") ?? "Unavailable"} at {node}: {Text(json, "detail")}";

    internal static string? Text(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
