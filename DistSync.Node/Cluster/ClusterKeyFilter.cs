using System.Collections.Concurrent;

namespace DistSync.Node.Cluster;

/// <summary>
/// Admits a request to an <c>/internal</c> route only from a peer of this cluster: it must carry the cluster key and
/// this cluster's id. A refusal is a problem answer to the sender and a warning here that names who and why (at
/// most one per sender and reason every 30 s, since a refused peer retries all the time).
/// </summary>
public sealed partial class ClusterKeyFilter(PeerCredentials credentials, TimeProvider time, ILogger<ClusterKeyFilter> logger) : IEndpointFilter
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(string From, string Reason), long> _lastLogged = new();

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (!credentials.KeyMatches(request.Headers[PeerCredentials.KeyHeader].ToString()))
        {
            Warn(context.HttpContext, "wrong cluster key", () => LogWrongKey(request.Path, From(context.HttpContext)));
            return Refuse(StatusCodes.Status401Unauthorized, "Cluster key required",
                $"Internal routes need the {PeerCredentials.KeyHeader} header with the cluster key (DistSync__ClusterKey).");
        }

        var presented = request.Headers[PeerCredentials.IdHeader].ToString();
        if (!credentials.IdMatches(presented))
        {
            var theirs = presented.Length == 0 ? "none" : presented;
            Warn(context.HttpContext, "cluster " + theirs, () => LogWrongCluster(request.Path, From(context.HttpContext), theirs, credentials.ClusterId!));
            return Refuse(StatusCodes.Status403Forbidden, "Another cluster",
                $"This node belongs to cluster {credentials.ClusterId}; the request came from cluster {theirs}. Is a services__* entry pointing at the wrong node?");
        }

        return next(context);
    }

    private static ValueTask<object?> Refuse(int status, string title, string detail) =>
        ValueTask.FromResult<object?>(TypedResults.Problem(statusCode: status, title: title, detail: detail));

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
}
