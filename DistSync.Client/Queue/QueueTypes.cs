namespace DistSync.Client;

/// <summary>One message to publish: its payload, and optionally the key that picks its partition (one key keeps its order),
/// a dedup id (a second publish with it within 5 minutes queues nothing) and a delay.</summary>
public sealed record OutgoingMessage<T>(T Payload, string? Key = null, string? DedupId = null, TimeSpan? Delay = null);

/// <summary>What a publish queued: the message's id, partition and offset; <see cref="Duplicate"/> when its dedup id was
/// seen within the window, and <see cref="Id"/> is then the first message's.</summary>
public sealed record PublishedMessage(string Id, string Topic, int Partition, long Offset, bool Duplicate);

/// <summary>How a consumer takes messages.</summary>
public sealed record ConsumeOptions
{
    /// <summary>How long a delivered message stays hidden from other consumers before it comes back (default: the topic's).</summary>
    public TimeSpan? VisibilityTimeout { get; init; }

    /// <summary>At most this many messages per request; the consumer asks for more only while they keep coming.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>How long one request waits for a message to be published (a long poll, at most 20 s).</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// A topic's settings, sent with this client's publishes to it: they count only when a publish creates the topic (the
/// first publish does), and a topic that exists keeps its own.
/// </summary>
public sealed record TopicSettings
{
    /// <summary>How many partitions (1 to 256; the cluster's default is 8).</summary>
    public int? Partitions { get; init; }

    /// <summary>How many deliveries a message gets before it is dead-lettered (1 to 1,000; the cluster's default is 5).</summary>
    public int? MaxDeliveries { get; init; }
}

/// <summary>What a topic holds now, summed over its partitions, and each partition's share with its owner.</summary>
public sealed record TopicStats(string Topic, long Ready, long InFlight, long Delayed, long Dead, IReadOnlyList<PartitionStats> Partitions)
{
    /// <summary>Nothing ready, in flight or delayed: every message was acked or dead-lettered.</summary>
    public bool IsDrained => Ready + InFlight + Delayed == 0;
}

/// <summary>One partition of a topic: the node that owns it, the ring epoch that last wrote it, and what it holds.</summary>
public sealed record PartitionStats(int Partition, string Owner, long Epoch, long Ready, long InFlight, long Delayed, long Dead);

/// <summary>A message that ran out of deliveries.</summary>
public sealed record DeadLetter<T>(string Id, int Partition, T Payload, string? Key, int DeliveryCount);

/// <summary>A topic's dead letters, oldest first: <see cref="Count"/> in all, of which <see cref="Messages"/> were listed.</summary>
public sealed record DeadLetters<T>(long Count, IReadOnlyList<DeadLetter<T>> Messages);
