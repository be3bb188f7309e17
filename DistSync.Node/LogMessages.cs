namespace DistSync.Node;

/// <summary>
/// Every log line the node writes, source-generated. EventId ranges per area:
/// 1xxx start-up and Redis, 2xxx consensus, 3xxx locks, 4xxx queue, 5xxx cache.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(1001, LogLevel.Information, "Node {NodeId} starting: peers {Peers}, data in {DataDir}")]
    public static partial void NodeStarting(this ILogger logger, string nodeId, string peers, string dataDir);

    [LoggerMessage(1002, LogLevel.Information, "Redis at {Endpoints}: connected={Connected}")]
    public static partial void RedisConnecting(this ILogger logger, string endpoints, bool connected);

    [LoggerMessage(1003, LogLevel.Warning, "Rejected bad request to {Path}: {Detail}")]
    public static partial void BadRequest(this ILogger logger, string path, string detail);
}
