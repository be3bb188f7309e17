namespace DistSync.Node.Hosting;

/// <summary>
/// The node's start-up log lines, source-generated. Each area logs from its own folder; EventId ranges per area:
/// 1xxx start-up, HTTP and Redis, 2xxx consensus, 3xxx locks, 4xxx queue, 5xxx cache, 6xxx security.
/// </summary>
internal static partial class NodeLog
{
    [LoggerMessage(1001, LogLevel.Information, "Node {NodeId} starting: peers {Peers}, data in {DataDir}")]
    public static partial void NodeStarting(this ILogger logger, string nodeId, string peers, string dataDir);

    [LoggerMessage(1002, LogLevel.Information, "Redis at {Endpoints}: connected={Connected}")]
    public static partial void RedisConnecting(this ILogger logger, string endpoints, bool connected);

    [LoggerMessage(1004, LogLevel.Information, "Cluster id {ClusterId}")]
    public static partial void ClusterIdentified(this ILogger logger, string clusterId);

    [LoggerMessage(1006, LogLevel.Information, "Empty data folder with DistSync__ClusterState={State}: asking the cluster how this node enters before opening a log")]
    public static partial void EnteringCluster(this ILogger logger, ClusterState state);

    [LoggerMessage(1005, LogLevel.Critical, "Not starting: {Reason}")]
    public static partial void NotStarting(this ILogger logger, string reason);

    [LoggerMessage(6003, LogLevel.Warning,
        "Authentication is OFF (DistSync:Auth:Mode=Off): anyone who can reach this node may read, write and administer it. Use this for local development only.")]
    public static partial void AuthOff(this ILogger logger);

    [LoggerMessage(6004, LogLevel.Information, "Clients authenticate with bearer tokens: {Tokens}")]
    public static partial void AuthTokens(this ILogger logger, string tokens);
}
