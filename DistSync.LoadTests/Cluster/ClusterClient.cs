using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DistSync.LoadTests.Cli;

namespace DistSync.LoadTests.Cluster;

/// <summary>
/// The tool's raw-HTTP driver: one pooled <see cref="HttpClient"/> (connections reused across levels) that sends
/// pre-encoded requests to the node a caller names, with helpers that turn a response into an <see cref="OpResult"/>.
/// The benchmarks' <c>--driver http</c> goes through it, to measure the API without DistSync.Client's routing and
/// retries; so do what the client has no call for (<c>/raft/status</c>, which finds the nodes and the leader,
/// <c>GET /locks/state</c>, <c>/alive</c>, the Raft benchmark's renewals).
/// </summary>
public sealed class ClusterClient : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _http;

    public ClusterClient(IReadOnlyList<Uri> urls, int maxConnectionsPerNode)
    {
        Urls = urls;
        _handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerNode,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(_handler) { Timeout = TimeSpan.FromSeconds(30) };
        ApiToken.Apply(_http);
    }

    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>
    /// POSTs a pre-encoded JSON body to an absolute URL (built once per client, not per request); 2xx is ok,
    /// 409 a refusal named by its <c>status</c> word, anything else a failure. A 2xx body is not read into
    /// memory: disposing the response drains it and keeps the connection.
    /// </summary>
    public async Task<OpResult> PostAsync(Uri url, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return await ClassifyAsync(response, cancellationToken);
    }

    /// <summary>As <see cref="PostAsync"/>, but a 2xx body is read and parsed (for operations that need the answer).</summary>
    public async Task<(OpResult Result, JsonElement Body)> PostReadAsync(Uri url, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return (await ClassifyAsync(response, cancellationToken), default);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return (OpResult.Ok, document.RootElement.Clone());
    }

    public async Task<OpResult> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return await ClassifyAsync(response, cancellationToken);
    }

    /// <summary>A GET's answer body, whatever its status.</summary>
    public async Task<byte[]> GetBodyAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(url, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>Each node's id and its view of the leader, from <c>GET /raft/status</c>; unreachable nodes are left out.</summary>
    public async Task<IReadOnlyList<NodeView>> GetNodesAsync(CancellationToken cancellationToken)
    {
        var views = await Task.WhenAll(Urls.Select(async url =>
        {
            try
            {
                using var response = await _http.GetAsync(new Uri(url, "/raft/status"), cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return null;
                }

                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                var root = doc.RootElement;
                var leader = root.TryGetProperty("leader_id", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null;
                return new NodeView(url, root.GetProperty("node_id").GetString() ?? "?", leader, root.GetProperty("term").GetInt64());
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                return null;
            }
        }));
        return [.. views.OfType<NodeView>()];
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    /// <summary>
    /// 2xx is ok; 409 a refusal named by its <c>status</c> word; anything else a failure named by its status code and
    /// the problem's detail (or title), so a report can group failures by message as Locust does.
    /// </summary>
    private static async Task<OpResult> ClassifyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return OpResult.Ok;
        }

        var code = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        JsonElement problem;
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            problem = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return response.StatusCode == HttpStatusCode.Conflict ? OpResult.Refused("409") : OpResult.Failed(code);
        }

        string? Text(string name) => problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return OpResult.Refused($"409 {Text("status") ?? "?"}");
        }

        var message = Text("detail") ?? Text("title");
        return OpResult.Failed(message is null ? code : $"{code} {OpResult.Shorten(message)}");
    }
}
