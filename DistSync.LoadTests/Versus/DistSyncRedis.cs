namespace DistSync.LoadTests.Versus;

/// <summary>
/// The Redis setups <c>vs</c> runs DistSync on (<c>--distsync-redis</c>): each a DistSync cluster of its own, started one
/// after the other. Only the queue and the cache keep their state in Redis, so only their workloads differ between setups.
/// </summary>
public static class DistSyncRedis
{
    public const string Option = "distsync-redis";

    /// <summary>One <c>redis-server</c> (the AppHost's default): what every earlier <c>vs</c> run measured.</summary>
    public const string Single = "single";

    /// <summary><c>--redis cluster</c>: 3 primaries and 3 replicas, each write answered after <c>WAIT</c> 1 replica.</summary>
    public const string Cluster = "cluster";

    /// <summary>The same Redis Cluster with the nodes' replica wait turned off.</summary>
    public const string ClusterNoWait = "cluster-nowait";

    public static readonly string[] All = [Single, Cluster, ClusterNoWait];

    /// <summary>What the AppHost is given for the setup; <c>NodeEnvironment</c> is applied after the cluster's own <c>WaitReplicas=1</c>, so it wins.</summary>
    public static IReadOnlyList<string> AppHostArguments(string setup) => setup switch
    {
        Single => [],
        Cluster => ["--redis", "cluster"],
        ClusterNoWait => ["--redis", "cluster", "--DistSync:NodeEnvironment:DistSync__Redis__WaitReplicas=0"],
        _ => throw new ArgumentException($"unknown Redis setup '{setup}'.", nameof(setup)),
    };

    /// <summary>A short name for table cells.</summary>
    public static string Title(string setup) => setup switch
    {
        Single => "one Redis",
        Cluster => "Redis Cluster",
        ClusterNoWait => "Redis Cluster, no wait",
        _ => setup,
    };

    /// <summary>What an acknowledged queue or cache write survives on the setup.</summary>
    public static string Durability(string setup) => setup switch
    {
        Single => "one redis-server, AOF fsync always",
        Cluster => "Redis Cluster 3+3, AOF fsync always, WAIT 1 replica before each queue/cache write is answered",
        ClusterNoWait => "Redis Cluster 3+3, AOF fsync always, no replica wait: an acknowledged write can be lost in a failover",
        _ => "unknown",
    };

    /// <summary>Whether a workload's operations touch Redis (only those are measured again on each setup).</summary>
    public static bool Uses(string workload) => workload is VersusWorkloads.Queue or VersusWorkloads.Cache;
}
