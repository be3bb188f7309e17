using System.Net.Http.Json;
using System.Net.Sockets;
using DistSync.Node.Cluster;
using DistSync.Node.Http;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Cache;

/// <summary>
/// Cache messages between nodes over <c>/internal/cache/*</c> (cluster key required), on one plain client for the
/// node's life, as the queue's forwarder does. The caller sets each request's deadline.
/// </summary>
public sealed class HttpCachePeers(PeerDirectory peers, IOptions<NodeOptions> options) : ICachePeers, IDisposable
{
    private readonly string _clusterKey = options.Value.ClusterKey ?? "";

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        UseProxy = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public Task<HomeReply> AskHomeAsync(string home, HomeRequest request, CancellationToken cancellationToken) =>
        PostAsync<HomeRequest, HomeReply>(home, "/internal/cache/home", request, cancellationToken);

    public Task<RevokeReply> RevokeAsync(string holder, RevokeRequest request, CancellationToken cancellationToken) =>
        PostAsync<RevokeRequest, RevokeReply>(holder, "/internal/cache/revoke", request, cancellationToken);

    public async Task<NodeLineReply> LineAsync(string node, string key, CancellationToken cancellationToken)
    {
        if (!peers.TryGetAddress(node, out var address))
        {
            throw new CachePeerUnreachableException(node, "not a peer of this node", false);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/internal/cache/line?key=" + Uri.EscapeDataString(key)));
        request.Headers.Add(ClusterKeyFilter.HeaderName, _clusterKey);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<NodeLineReply>(NodeJson.Options, cancellationToken)
                ?? throw new CachePeerUnreachableException(node, "an empty answer", true);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            throw new CachePeerUnreachableException(node, ex.Message, true);
        }
    }

    private async Task<TReply> PostAsync<TRequest, TReply>(string node, string path, TRequest body, CancellationToken cancellationToken)
    {
        if (!peers.TryGetAddress(node, out var address))
        {
            throw new CachePeerUnreachableException(node, "not a peer of this node", false);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, path)) { Content = JsonContent.Create(body, options: NodeJson.Options) };
        request.Headers.Add(ClusterKeyFilter.HeaderName, _clusterKey);
        if (System.Diagnostics.Activity.Current is { Recorded: true })
        {
            request.Headers.Add(Microsoft.Extensions.Hosting.Extensions.TracedHeader, "1"); // a sampled request's hop is traced too
        }

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<TReply>(NodeJson.Options, cancellationToken)
                ?? throw new CachePeerUnreachableException(node, "an empty answer", true);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            // Refused before anything was sent: the request cannot have been applied.
            throw new CachePeerUnreachableException(node, ex.Message, false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            throw new CachePeerUnreachableException(node, ex.Message, true);
        }
    }

    public void Dispose() => _http.Dispose();
}
