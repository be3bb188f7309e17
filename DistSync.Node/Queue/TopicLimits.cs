namespace DistSync.Node.Queue;

/// <summary>
/// The bounds of the topic registry, for the cluster and for each token. They are part of the replicated state machine's
/// contract (every node must refuse the same creation at the same log index, or the nodes' topics diverge), so they are
/// constants, not configuration, as the lock table's are. A refusal names the bound it would pass in snake case (<c>topics_per_token</c>).
/// </summary>
public static class TopicLimits
{
    /// <summary>Topics in the cluster: every node keeps each one in memory and in every snapshot.</summary>
    public const int MaxTopics = 10_000;

    /// <summary>
    /// Partitions of all topics together, what costs Redis keys (up to 14 per partition) and owner work (a take-over
    /// script per partition gained on a ring change, a view and a gauge per partition owned): 10,000 topics at the default
    /// 8 partitions, about 27,000 per node of three. The topic bound alone would allow 2.56 million (256 each).
    /// </summary>
    public const int MaxPartitions = 80_000;

    /// <summary>Topics one token may create: a tenth of the cluster's, so one client publishing to made-up names cannot take them all.</summary>
    public const int MaxTopicsPerToken = 1_000;

    /// <summary>Partitions of the topics one token created: a tenth of the cluster's (its 1,000 topics at the default 8).</summary>
    public const int MaxPartitionsPerToken = 8_000;
}
