using System.ComponentModel.DataAnnotations;

namespace DistSync.Node.Queue;

/// <summary>The <c>DistSync:Queue</c> section: defaults for new topics and the limits every request is held to.</summary>
public sealed class QueueOptions
{
    public const string SectionName = "DistSync:Queue";

    /// <summary>Partitions of a topic created without saying how many.</summary>
    [Range(1, QueueLimits.MaxPartitions)]
    public int DefaultPartitions { get; set; } = 8;

    /// <summary>Deliveries without an ack before a message goes to the topic's dead letters (SQS's maxReceiveCount).</summary>
    [Range(1, 1000)]
    public int DefaultMaxDeliveries { get; set; } = 5;

    /// <summary>How long a consumed message stays invisible when the consumer names no visibility timeout.</summary>
    [Range(0, QueueLimits.MaxVisibilityTimeoutSec)]
    public int DefaultVisibilityTimeoutSec { get; set; } = 30;

    /// <summary>How long a <c>dedup_id</c> is remembered, and a <c>request_id</c>'s first answer.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DedupWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Per-topic settings applied when the topic is created: <c>DistSync:Queue:Topics:orders:Partitions=16</c>.</summary>
    public Dictionary<string, TopicSettings> Topics { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A topic's settings from configuration; unset values take the defaults.</summary>
public sealed class TopicSettings
{
    [Range(1, QueueLimits.MaxPartitions)]
    public int? Partitions { get; set; }

    [Range(1, 1000)]
    public int? MaxDeliveries { get; set; }

    [Range(0, QueueLimits.MaxVisibilityTimeoutSec)]
    public int? VisibilityTimeoutSec { get; set; }
}

/// <summary>Hard limits of the queue API.</summary>
public static class QueueLimits
{
    public const int MaxPartitions = 256;
    public const int MaxTopicBytes = 200;
    public const int MaxKeyBytes = 512;
    public const int MaxDedupIdBytes = 128;
    public const int MaxRequestIdBytes = 128;
    public const int MaxPayloadBytes = 256 * 1024;
    public const int MaxBatch = 100;
    public const int MaxVisibilityTimeoutSec = 12 * 60 * 60;
    public const int MaxWaitSec = 20;
    public const int MaxDelaySec = 15 * 60;
    public const int MaxDeadLetterPage = 1000;
}
