namespace DistSync.Node.Queue;

// Bodies of /internal/queue/*: a node forwarding a request to the partition's owner, and the owner's answer.

public sealed record ForwardedMessage(string Id, string Record, long DelayMs, string RequestKey = "");

public sealed record ForwardPublish(string Topic, int Partition, IReadOnlyList<ForwardedMessage> Messages);

/// <summary><c>Recheck</c>: a retry of <c>RequestId</c> whose first answer may have been lost; the owner answers its lease again.</summary>
public sealed record ForwardConsume(string Topic, IReadOnlyList<int> Partitions, long VisibilityMs, int Max, string? RequestId = null, bool Recheck = false);

public enum ChangeOp { Ack, Nack, Extend, Requeue, Redrive, Release }

public sealed record ForwardChange(ChangeOp Op, string Topic, int Partition, string? Id, long? Delivery, long DelayMs, long VisibilityMs, string? RequestId = null);

public sealed record ForwardedPublished(string Status, string? Id, long Offset);

public sealed record ForwardedDelivery(int Partition, string Id, string Record, long Deliveries, long Receipt);

/// <summary>The owner's answer: <c>ok</c> with a value, or <c>not_owner</c> (with the owner it sees) or <c>stale</c>.</summary>
public sealed record ForwardReply<T>(OwnerStatus Status, long Epoch, string? Owner, long StoredEpoch, T? Value)
{
    public static ForwardReply<T> From<TOwner>(OwnerReply<TOwner> reply, Func<TOwner, T> map) =>
        new(reply.Status, reply.Epoch, reply.Owner, reply.StoredEpoch, reply.Status == OwnerStatus.Ok ? map(reply.Value!) : default);

    public OwnerReply<T> ToOwnerReply() => new(Status, Epoch, Value, Owner, StoredEpoch);
}

/// <summary>The change results that cross the wire (the requeue and redrive counts ride in the same record).</summary>
public sealed record ForwardedChange(ChangeStatus Status, long VisibleForMs, long Requeued, long Dead, long Moved)
{
    public static ForwardedChange From(ChangeResult r) => new(r.Status, r.VisibleForMs, 0, 0, 0);

    public static ForwardedChange From(RequeueResult r) => new(ChangeStatus.Done, 0, r.Requeued, r.Dead, 0);

    public static ForwardedChange From(RedriveResult r) => new(ChangeStatus.Done, 0, 0, 0, r.Moved);
}
