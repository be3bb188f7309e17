namespace DistSync.LoadTests.Versus;

/// <summary>The systems <c>vs</c> measures (<c>--systems</c>), and what each side's acknowledgement promises.</summary>
public static class VersusSystems
{
    public const string DistSync = "distsync";
    public const string Etcd = "etcd";
    public const string Nats = "nats";
    public const string Redis = "redis";

    public static readonly string[] All = [DistSync, Etcd, Nats, Redis];

    /// <summary>How each system is named in tables.</summary>
    public static string Title(string system) => system switch
    {
        DistSync => "DistSync",
        Etcd => "etcd",
        Nats => "NATS JetStream",
        Redis => "Redis",
        _ => system,
    };

    /// <summary>What an acknowledged write survives, as each side was run; printed beside the figures.</summary>
    public static string Durability(string system, string redisSetup = DistSyncRedis.Single) => system switch
    {
        DistSync => "3-node Raft cluster; the Raft WAL is fsynced before a write is acknowledged (one fsync per batch); " +
                    $"queue and cache state on {DistSyncRedis.Durability(redisSetup)}; dashboard on (spans exported)",
        Etcd => "3-member cluster; the WAL is fsynced on every commit (one fsync per batch) before a write is acknowledged",
        Nats => "3-server cluster, R3 file-storage stream; a publish is acknowledged once 2 of 3 servers have written it, " +
                "not fsynced: nats-server 2.9 fsyncs a stream's files every 60 s and its Raft log every 5 min (no sync_interval option before 2.10)",
        Redis => "one server, no replica; appendonly yes, appendfsync always (fsync before each reply), no RDB snapshots: " +
                 "the settings DistSync's own Redis runs with",
        _ => "unknown",
    };
}
