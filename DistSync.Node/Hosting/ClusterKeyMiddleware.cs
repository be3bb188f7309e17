using System.Collections.Concurrent;

namespace DistSync.Node.Hosting;

/// <summary>
/// Admits a request to an <c>/internal</c> route only from a peer of this cluster: it must carry the cluster key and
/// this cluster's id. Middleware rather than an endpoint filter: a filter runs after minimal-API binding has read and
/// deserialised the body, so a stranger's body would be read (and could be huge) before the refusal. A refusal is a
/// problem answer to the sender and a warning here that names who and why (at most one per sender and reason every
/// 30 s, since a refused peer retries all the time).
/// </summary>
public sealed partial class ClusterKeyMiddleware(PeerCredentials credentials, TimeProvider time, ILogger<ClusterKeyMiddleware> logger) : IMiddleware
{
    public const string PathPrefix = "/internal";

    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(string From, string Reason), long> _lastLogged = new();

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!IsPeerRoute(context))
        {
            return next(context);
        }

        var request = context.Request;
        if (!credentials.HasKey)
        {
            Warn(context, "no key here", () => LogNoKeyHere(request.Path, From(context)));
            return RefuseAsync(context, StatusCodes.Status401Unauthorized, "Cluster key required",
                "This node runs without a cluster key (DistSync__ClusterKey), so it has no peers and takes no peer requests.");
        }

        if (!credentials.KeyMatches(request.Headers[PeerCredentials.KeyHeader].ToString()))
        {
            Warn(context, "wrong cluster key", () => LogWrongKey(request.Path, From(context)));
            return RefuseAsync(context, StatusCodes.Status401Unauthorized, "Cluster key required",
                $"Internal routes need the {PeerCredentials.KeyHeader} header with the cluster key (DistSync__ClusterKey).");
        }

        var presented = request.Headers[PeerCredentials.IdHeader].ToString();
        if (!credentials.IdMatches(presented))
        {
            var theirs = presented.Length == 0 ? "none" : presented;
            Warn(context, "cluster " + theirs, () => LogWrongCluster(request.Path, From(context), theirs, credentials.ClusterId!));
            return RefuseAsync(context, StatusCodes.Status403Forbidden, "Another cluster",
                $"This node belongs to cluster {credentials.ClusterId}; the request came from cluster {theirs}. Is a services__* entry pointing at the wrong node?");
        }

        return next(context);
    }

    // By path and by the matched route both: routing matches more spellings of a path than a prefix test sees.
    private static bool IsPeerRoute(HttpContext context) =>
        context.Request.Path.StartsWithSegments(PathPrefix, StringComparison.OrdinalIgnoreCase)
        || (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText?.TrimStart('/').StartsWith(PathPrefix[1..] + "/", StringComparison.OrdinalIgnoreCase) == true;

    private static Task RefuseAsync(HttpContext context, int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);

    private static string From(HttpContext context) => $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";

    private void Warn(HttpContext context, string reason, Action log)
    {
        var now = time.GetTimestamp();
        var key = (context.Connection.RemoteIpAddress?.ToString() ?? "?", reason);
        if (!_lastLogged.TryGetValue(key, out var last) || time.GetElapsedTime(last, now) >= LogEvery)
        {
            _lastLogged[key] = now;
            log();
        }
    }

    [LoggerMessage(6101, LogLevel.Warning, "Refused a peer request to {Path} from {From}: wrong cluster key (is it a node of another cluster?)")]
    private partial void LogWrongKey(string path, string from);

    [LoggerMessage(6102, LogLevel.Warning,
        "Refused a peer request to {Path} from {From}: it is from cluster {Theirs}, this node belongs to cluster {Ours} (a node of another cluster, or a wrong services__* entry)")]
    private partial void LogWrongCluster(string path, string from, string theirs, string ours);

    [LoggerMessage(6103, LogLevel.Warning, "Refused a peer request to {Path} from {From}: this node has no cluster key (DistSync__ClusterKey), so no peers")]
    private partial void LogNoKeyHere(string path, string from);
}
