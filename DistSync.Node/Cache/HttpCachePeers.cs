using System.Net.Http.Json;
using System.Net.Sockets;
using DistSync.Node.Hosting;
using DistSync.Node.Http;

namespace DistSync.Node.Cache;

/// <summary>
/// Cache messages between nodes over <c>/internal/cache/*</c> (cluster key required), on the node's plain peer client
/// (<see cref="PeerHttp"/>). The caller sets each request's deadline.
/// </summary>
public sealed class HttpCachePeers(PeerDirectory peers, PeerCredentials credentials) : ICachePeers, IDisposable
{
    private readonly HttpClient _http = PeerHttp.CreateClient(Timeout.InfiniteTimeSpan);

    public Task<HomeReply> AskHomeAsync(string home, HomeRequest request, CancellationToken cancellationToken) =>
        SendAsync<HomeReply>(home, HttpMethod.Post, "/internal/cache/home", JsonContent.Create(request, options: NodeJson.Options), cancellationToken);

    public Task<RevokeReply> RevokeAsync(string holder, RevokeRequest request, CancellationToken cancellationToken) =>
        SendAsync<RevokeReply>(holder, HttpMethod.Post, "/internal/cache/revoke", JsonContent.Create(request, options: NodeJson.Options), cancellationToken);

    public Task<NodeLineReply> LineAsync(string node, string key, CancellationToken cancellationToken) =>
        SendAsync<NodeLineReply>(node, HttpMethod.Get, "/internal/cache/line?key=" + Uri.EscapeDataString(key), null, cancellationToken);

    private async Task<TReply> SendAsync<TReply>(string node, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        if (!peers.TryGetAddress(node, out var address))
        {
            throw new CachePeerUnreachableException(node, "not a peer of this node", false);
        }

        using var request = PeerHttp.Request(method, new Uri(address, path), credentials, content);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
            {
                // The peer answered, but its Redis did not: asking again will not help until Redis is back.
                throw new CacheUnavailableException($"{node} could not reach Redis; a write may or may not have been applied.", true);
            }

            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<TReply>(NodeJson.Options, cancellationToken)
                ?? throw new CachePeerUnreachableException(node, "an empty answer", true);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            // Refused before anything was sent: the request cannot have been applied.
            throw new CachePeerUnreachableException(node, ex.Message, false);
        }
        catch (Exception ex) when ((PeerHttp.IsUnreachable(ex) || ex is System.Text.Json.JsonException) && !cancellationToken.IsCancellationRequested)
        {
            throw new CachePeerUnreachableException(node, ex.Message, true);
        }
    }

    public void Dispose() => _http.Dispose();
}
