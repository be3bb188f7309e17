using System.Text.Json.Serialization;
using DistSync.Node.Http;
using DistSync.Node.Security;

namespace DistSync.Node.Queue;

// The queue API's bodies; property names become snake_case on the wire, as the original system had them.

/// <summary><c>partitions</c> and <c>max_deliveries</c> apply only to the publish that creates the topic. <c>request_id</c>: the
/// same request sent again (its answer was lost) within the window gets the first answer and stores nothing.</summary>
public sealed record PublishRequest(string? Topic, RawJson? Payload, string? Key, string? DedupId, double? DelaySec, int? Partitions, int? MaxDeliveries, string? RequestId = null) : ITargeted
{
    string? ITargeted.Target => Topic;
}

public sealed record PublishBatchItem(RawJson? Payload, string? Key, string? DedupId, double? DelaySec);

public sealed record PublishBatchRequest(string? Topic, IReadOnlyList<PublishBatchItem>? Messages, int? Partitions, int? MaxDeliveries, string? RequestId = null) : ITargeted
{
    string? ITargeted.Target => Topic;
}

/// <summary>
/// <c>status</c> is <c>queued</c>, or <c>duplicate</c> when the dedup id was seen within the window (<c>id</c> is the
/// first message's, and there is no offset). <c>offset</c> numbers the partition's messages in the order they were
/// stored; <c>owner</c> and <c>epoch</c> say which node stored it, in which ring epoch.
/// </summary>
public sealed record PublishedResponse(string Status, string Id, string Topic, int Partition, long? Offset, string Owner, long Epoch, bool Delayed);

public sealed record PublishBatchResponse(string Status, string Topic, IReadOnlyList<PublishedResponse> Messages);

/// <summary><c>request_id</c>: a consume sent again with it (its answer was lost) gets the first one's messages and receipts again.</summary>
/// <summary>
/// <c>attempt</c> numbers a client's tries of one <c>request_id</c> from 1: the first try is known to have leased
/// nothing yet, so the owners need not first look for a lease made for it. Without it, a request id may be a repeat.
/// </summary>
public sealed record ConsumeRequest(string? Topic, double? VisibilityTimeoutSec, double? WaitSec, int? MaxMessages, string? RequestId = null, int? Attempt = null)
    : ITargeted, IBlockingRequest
{
    string? ITargeted.Target => Topic;

    bool IBlockingRequest.Blocks => WaitSec > 0;
}

/// <summary>A delivered message. <c>receipt</c> names this delivery: an ack or nack that carries it applies to it only.</summary>
public sealed record QueueMessageView(
    string Id,
    string Topic,
    int Partition,
    RawJson Payload,
    string? Key,
    long DeliveryCount,
    string Receipt,
    DateTimeOffset PublishedAt,
    DateTimeOffset VisibleUntil)
{
    [JsonIgnore]
    public string? TraceParent { get; init; }
}

/// <summary>One message, in the original system's shape (<c>consume</c> without <c>max_messages</c>).</summary>
public sealed record ConsumedResponse(
    string Status,
    string Id,
    string Topic,
    int Partition,
    RawJson Payload,
    string? Key,
    long DeliveryCount,
    string Receipt,
    DateTimeOffset PublishedAt,
    DateTimeOffset VisibleUntil)
{
    public static ConsumedResponse From(QueueMessageView m) =>
        new("ok", m.Id, m.Topic, m.Partition, m.Payload, m.Key, m.DeliveryCount, m.Receipt, m.PublishedAt, m.VisibleUntil);
}

public sealed record ConsumedBatchResponse(string Status, string Topic, IReadOnlyList<QueueMessageView> Messages);

public sealed record QueueEmptyResponse(string Status, string Topic, double WaitedMs);

/// <summary><c>request_id</c>: an ack sent again after it applied answers <c>acked</c> again (rather than 404, the message being gone).</summary>
public sealed record AckRequest(string? Topic, string? Id, string? Receipt, string? RequestId = null) : ITargeted
{
    string? ITargeted.Target => Topic;
}

public sealed record AckBatchRequest(string? Topic, IReadOnlyList<AckItem>? Messages, string? RequestId = null) : ITargeted
{
    string? ITargeted.Target => Topic;
}

public sealed record AckItem(string? Id, string? Receipt);

public sealed record AckedResponse(string Status, string Topic, string Id);

public sealed record AckBatchResponse(string Status, string Topic, IReadOnlyList<AckedResponse> Messages);

public sealed record NackRequest(string? Topic, string? Id, string? Receipt, double? DelaySec) : ITargeted
{
    string? ITargeted.Target => Topic;
}

public sealed record ExtendRequest(string? Topic, string? Id, string? Receipt, double? VisibilityTimeoutSec) : ITargeted
{
    string? ITargeted.Target => Topic;
}

/// <summary><c>status</c>: <c>nacked</c>, <c>dead_lettered</c> (it had used its deliveries) or <c>extended</c>.</summary>
public sealed record ChangedResponse(string Status, string Topic, string Id, DateTimeOffset? VisibleUntil);

/// <summary>A refusal (409): <c>status</c> is <c>not_in_flight</c> or <c>stale_receipt</c>.</summary>
public sealed record QueueConflictResponse(string Status, string Topic, string Id, string Detail);

public sealed record TopicRequest(string? Topic) : ITargeted
{
    string? ITargeted.Target => Topic;
}

public sealed record RequeuedResponse(string Status, string Topic, long Requeued, long DeadLettered);

public sealed record RedrivenResponse(string Status, string Topic, long Redriven);

public sealed record DeadLettersResponse(string Topic, long Count, IReadOnlyList<DeadLetterView> Messages);

public sealed record DeadLetterView(string Id, int Partition, RawJson Payload, string? Key, long DeliveryCount, DateTimeOffset PublishedAt);

public sealed record PartitionStatsView(int Partition, string Owner, long Epoch, long Ready, long InFlight, long Delayed, long Dead, double? OldestAgeSec);

public sealed record TopicStatsResponse(string Topic, int Partitions, int MaxDeliveries, int VisibilityTimeoutSec, long RingEpoch, long Ready, long InFlight, long Delayed, long Dead,
    IReadOnlyList<PartitionStatsView> PartitionStats);

public sealed record TopicSummary(string Topic, int Partitions, int MaxDeliveries, int VisibilityTimeoutSec);

public sealed record QueueStatsResponse(long RingEpoch, IReadOnlyList<string> RingMembers, IReadOnlyList<TopicSummary> Topics);
