using StackExchange.Redis;

namespace DistSync.Node.Queue;

/// <summary>
/// A partition's Redis keys. All carry the hash tag <c>{topic:p}</c>, so one partition's keys share a Redis Cluster
/// slot and every script touches one slot only; the scripts name every key they touch in KEYS.
/// </summary>
public sealed class PartitionKeys
{
    private PartitionKeys(string topic, int partition)
    {
        var prefix = $"ds:q:{{{topic}:{partition}}}";
        All =
        [
            $"{prefix}:epoch",      // 1: the highest ring epoch that wrote here (the fence)
            $"{prefix}:ready",      // 2: list of ids, consumed from the left
            $"{prefix}:inflight",   // 3: zset id -> visibility deadline (ms)
            $"{prefix}:delayed",    // 4: zset id -> due time (ms)
            $"{prefix}:msgs",       // 5: hash id -> record (header line + payload)
            $"{prefix}:deliveries", // 6: hash id -> times delivered
            $"{prefix}:dead",       // 7: list of dead-lettered ids
            $"{prefix}:dedup",      // 8: hash dedup_id -> id
            $"{prefix}:dedup_at",   // 9: zset dedup_id -> first seen (ms)
            $"{prefix}:offset",     // 10: messages ever published here (each publish's offset)
            $"{prefix}:version",    // 11: calls that passed the fence (orders their answers)
            $"{prefix}:receipts",   // 12: hash id -> deliveries ever made, never reset (the number a receipt names)
            $"{prefix}:requests",   // 13: hash request key -> the first answer to it (consume, publish, ack request ids)
            $"{prefix}:requests_at",// 14: zset request key -> when first answered (ms), to forget it after the window
        ];
    }

    public RedisKey[] All { get; }

    public static PartitionKeys For(string topic, int partition) => new(topic, partition);

    /// <summary>The pub/sub channel that wakes long-polling consumers of a topic.</summary>
    public static RedisChannel NotifyChannel(string topic) => RedisChannel.Literal($"ds:q:notify:{topic}");

    public static readonly RedisChannel NotifyPattern = RedisChannel.Pattern("ds:q:notify:*");

    public static string TopicOfChannel(RedisChannel channel) => channel.ToString()["ds:q:notify:".Length..];
}
