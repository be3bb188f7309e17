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
