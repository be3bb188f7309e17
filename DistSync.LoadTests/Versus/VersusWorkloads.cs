namespace DistSync.LoadTests.Versus;

/// <summary>The workloads of <c>vs</c> (<c>--workloads</c>): which peer each is measured against, and at which levels.</summary>
public static class VersusWorkloads
{
    /// <summary>Uncontended lock pairs: worker i locks its own name, then unlocks.</summary>
    public const string Locks = "locks";

    /// <summary>Grants on one name, every worker waiting in line.</summary>
    public const string Contended = "contended";

    /// <summary>Linearizable reads of one key (etcd) or one lock (DistSync).</summary>
    public const string Reads = "reads";

    /// <summary>Publish, consume one, ack: each worker's own loop on one shared topic.</summary>
    public const string Queue = "queue";

    /// <summary>Cache hits: worker i reads its own key, set beforehand.</summary>
    public const string Cache = "cache";

    public static readonly string[] All = [Locks, Contended, Reads, Queue, Cache];

    /// <summary>The peer each workload is set beside.</summary>
    public static string Peer(string workload) => workload switch
    {
        Locks or Contended or Reads => VersusSystems.Etcd,
        Queue => VersusSystems.Nats,
        Cache => VersusSystems.Redis,
        _ => throw new ArgumentException($"unknown workload '{workload}'.", nameof(workload)),
    };

    /// <summary>What one operation is, for the table's header.</summary>
    public static string Operation(string workload) => workload switch
    {
        Locks => "lock + unlock pairs/s, each worker its own name",
        Contended => "grants/s, every worker waiting on one name",
        Reads => "linearizable reads/s of one key",
        Queue => "publish -> consume -> ack round trips/s, one shared topic",
        Cache => "hit reads/s, each worker its own key",
        _ => workload,
    };

    /// <summary>
    /// The levels a workload runs at: pairs and round trips at every level; contention at the levels above one worker;
    /// reads and cache hits at the top level only.
    /// </summary>
    public static IReadOnlyList<int> Levels(string workload, IReadOnlyList<int> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        return workload switch
        {
            Locks or Queue => levels,
            Contended => [.. levels.Where(l => l > 1)],
            Reads or Cache => [levels.Max()],
            _ => throw new ArgumentException($"unknown workload '{workload}'.", nameof(workload)),
        };
    }
}
