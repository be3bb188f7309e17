namespace DistSync.Node.Hosting;

/// <summary>
/// What every node-to-node request outside Raft's stream shares: one plain client for the node's life (peers are
/// addressed directly, so the factory's per-request handler chain of service discovery and logging scopes would be
/// work without a purpose on a hot path), the cluster key and id, and the mark that traces a sampled request's hop too.
/// </summary>
public static class PeerHttp
{
    public static HttpClient CreateClient(TimeSpan timeout) => new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        UseProxy = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
    })
    {
        Timeout = timeout,
    };

    /// <summary>
    /// The peer did not answer: refused, reset, timed out. A raw SocketException or IOException escapes HttpClient
    /// when a connection is reset right after it was accepted, so those count too.
    /// </summary>
    public static bool IsUnreachable(Exception ex) =>
        ex is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException or IOException;

    public static HttpRequestMessage Request(HttpMethod method, Uri uri, PeerCredentials credentials, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, uri) { Content = content };
        credentials.Apply(request);
        if (System.Diagnostics.Activity.Current is { Recorded: true })
        {
            request.Headers.Add(Microsoft.Extensions.Hosting.Extensions.TracedHeader, "1");
        }

        return request;
    }
}
