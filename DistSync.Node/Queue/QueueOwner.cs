using DistSync.Node.Hosting;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Queue;

/// <summary>
/// What this node does for the partitions it owns: every queue write of the cluster runs here, for the partitions
/// this node owns in its current epoch, and nowhere else. A request for a partition it does not own is answered
/// <see cref="OwnerStatus.NotOwner"/> (with this node's epoch and the owner it sees), and one the fence refused
/// (a newer epoch wrote first) <see cref="OwnerStatus.Stale"/>: either way the caller retries where it belongs.
/// </summary>
public sealed class QueueOwner(
    QueueRing ring,
    IQueueStore store,
    OwnedPartitions owned,
    TopicRegistry topics,
    PeerDirectory peers,
    QueueTelemetry telemetry,
    IOptions<QueueOptions> options)
{
    private const int RequeueBatch = 1000;

    private readonly string _self = peers.SelfId;
    /// <summary>How long a dedup id or a request id is remembered.</summary>
    private readonly long _dedupWindowMs = (long)options.Value.DedupWindow.TotalMilliseconds;

    public async Task<OwnerReply<IReadOnlyList<PublishedItem>>> PublishAsync(string topic, int partition, IReadOnlyList<OutgoingMessage> messages)
    {
        var (epoch, refusal) = await PrepareAsync(topic, partition);
        if (refusal is not null)
        {
            return refusal.As<IReadOnlyList<PublishedItem>>();
        }

        // One script call for all of them, so Redis stores them in the order given: a key's messages keep their order.
        var result = await KeepViewAsync(topic, partition, store.PublishAsync(topic, partition, epoch, messages, _dedupWindowMs));
        if (result.Stale)
        {
            return OwnerReply<IReadOnlyList<PublishedItem>>.Stale(epoch, result.StoredEpoch);
        }

        owned.Set(topic, partition, epoch, result.Ready, result.DueInMs, result.Version);
        if (result.ReadyBefore == 0 && result.Ready > 0)
        {
            await store.NotifyAsync(topic); // the partition was empty: wake long-polling consumers
        }

        telemetry.Published(topic, result.Items.Count(i => i.Status == PublishStatus.Queued));
        return OwnerReply<IReadOnlyList<PublishedItem>>.Ok(epoch, result.Items);
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> messages from the given partitions that this node owns, in the order given.
    /// Each partition remembers the lease it made for <paramref name="requestId"/>; with <paramref name="recheck"/> (a
    /// retry, whose first try's answer may have been lost) every partition is first asked for that lease, so the same
    /// messages come back under the same receipts, counted once, and only the rest is taken new.
    /// </summary>
    public async Task<OwnerReply<IReadOnlyList<(int Partition, StoredMessage Message)>>> ConsumeAsync(
        string topic, IReadOnlyList<int> partitions, long visibilityMs, int max, string? requestId = null, bool recheck = false)
    {
        var taken = new List<(int, StoredMessage)>();
        var epoch = ring.Membership.Epoch;
        var key = requestId is null ? "" : "c:" + requestId;
        var recalled = new HashSet<int>();
        foreach (var partition in recheck && key.Length > 0 ? partitions : [])
        {
            (epoch, var refusal) = await PrepareAsync(topic, partition);
            if (refusal is not null)
            {
                return refusal.As<IReadOnlyList<(int, StoredMessage)>>(); // a recall must reach every partition, or the caller asks their owner
            }

            var result = await KeepViewAsync(topic, partition, store.ConsumeAsync(topic, partition, epoch, visibilityMs, 0, key, _dedupWindowMs, recallOnly: true));
            if (result.Stale)
            {
                return OwnerReply<IReadOnlyList<(int, StoredMessage)>>.Stale(epoch, result.Epoch);
            }

            owned.Set(topic, partition, epoch, result.Ready, result.DueInMs, result.Version);
            taken.AddRange(result.Messages.Select(m => (partition, m)));
            if (result.Messages.Count > 0)
            {
                recalled.Add(partition);
            }
        }

        foreach (var partition in partitions.Where(p => !recalled.Contains(p)))
        {
            if (taken.Count >= max)
            {
                break;
            }

            (epoch, var refusal) = await PrepareAsync(topic, partition);
            if (refusal is { Status: OwnerStatus.Stale })
            {
                return refusal.As<IReadOnlyList<(int, StoredMessage)>>();
            }

            if (refusal is not null || owned.Get(topic, partition, epoch) is not { Ready: > 0 })
            {
                continue; // not ours, or exactly known to be empty: no Redis call
            }

            var result = await KeepViewAsync(topic, partition, store.ConsumeAsync(topic, partition, epoch, visibilityMs, max - taken.Count, key, _dedupWindowMs));
            if (result.Stale)
            {
                return OwnerReply<IReadOnlyList<(int, StoredMessage)>>.Stale(epoch, result.Epoch);
            }

            owned.Set(topic, partition, epoch, result.Ready, result.DueInMs, result.Version);
            taken.AddRange(result.Messages.Select(m => (partition, m)));
        }

        return OwnerReply<IReadOnlyList<(int, StoredMessage)>>.Ok(epoch, taken);
    }

    public Task<OwnerReply<ChangeResult>> AckAsync(string topic, int partition, string id, long? delivery, string? requestId = null) =>
        ChangeAsync(topic, partition, epoch => store.AckAsync(topic, partition, epoch, id, delivery, requestId is null ? "" : $"a:{requestId}:{id}", _dedupWindowMs));

    public Task<OwnerReply<ChangeResult>> NackAsync(string topic, int partition, string id, long delayMs, long? delivery) =>
        ChangeAsync(topic, partition, epoch => store.NackAsync(topic, partition, epoch, id, delayMs, MaxDeliveries(topic), delivery));

    public Task<OwnerReply<ChangeResult>> ExtendAsync(string topic, int partition, string id, long visibilityMs, long? delivery) =>
        ChangeAsync(topic, partition, epoch => store.ExtendAsync(topic, partition, epoch, id, visibilityMs, delivery));

    /// <summary>Gives back a lease whose consumer never got it: the message is ready again, the delivery not counted.</summary>
    public Task<OwnerReply<ChangeResult>> ReleaseAsync(string topic, int partition, string id, long receipt) =>
        ChangeAsync(topic, partition, epoch => store.ReleaseAsync(topic, partition, epoch, id, receipt));

    /// <summary>Returns due messages to the queue (or the dead letters) now; the scheduler calls it at each deadline.</summary>
    public async Task<OwnerReply<RequeueResult>> RequeueDueAsync(string topic, int partition)
    {
        var (epoch, refusal) = await PrepareAsync(topic, partition);
        return refusal is not null ? refusal.As<RequeueResult>() : await RequeueCoreAsync(topic, partition, epoch);
    }

    /// <summary>
    /// Takes the partition over if this node owns it and has not yet in this epoch (one requeue script: the fence, the
    /// deadlines); nothing if it has. The scheduler's take-over: <see cref="RequeueDueAsync"/> would run a second script.
    /// </summary>
    public async Task<OwnerReply<bool>> TakeOverAsync(string topic, int partition)
    {
        var (epoch, refusal) = await PrepareAsync(topic, partition);
        return refusal ?? OwnerReply<bool>.Ok(epoch, true);
    }

    public async Task<OwnerReply<RedriveResult>> RedriveAsync(string topic, int partition)
    {
        var (epoch, refusal) = await PrepareAsync(topic, partition);
        if (refusal is not null)
        {
            return refusal.As<RedriveResult>();
        }

        var result = await KeepViewAsync(topic, partition, store.RedriveAsync(topic, partition, epoch, int.MaxValue));
        if (result.Stale)
        {
            return OwnerReply<RedriveResult>.Stale(epoch, result.Epoch);
        }

        owned.Set(topic, partition, epoch, result.Ready, result.DueInMs, result.Version);
        if (result.Moved > 0)
        {
            await store.NotifyAsync(topic);
        }

        return OwnerReply<RedriveResult>.Ok(epoch, result);
    }

    public bool Owns(string topic, int partition) => ring.OwnerOf(topic, partition) == _self;

    private async Task<OwnerReply<ChangeResult>> ChangeAsync(string topic, int partition, Func<long, Task<ChangeResult>> change)
    {
        var (epoch, refusal) = await PrepareAsync(topic, partition);
        if (refusal is not null)
        {
            return refusal.As<ChangeResult>();
        }

        var result = await KeepViewAsync(topic, partition, change(epoch));
        if (result.Status == ChangeStatus.Stale)
        {
            return OwnerReply<ChangeResult>.Stale(epoch, result.StoredEpoch);
        }

        owned.Set(topic, partition, epoch, result.Ready, result.DueInMs, result.Version);
        // Of these only a nack or a release makes a message ready: wake the long-polling consumers.
        if (result.Status is ChangeStatus.Nacked or ChangeStatus.Released && result.Ready > 0)
        {
            await store.NotifyAsync(topic);
        }

        return OwnerReply<ChangeResult>.Ok(epoch, result);
    }

    /// <summary>
    /// The epoch to write in, and no refusal, when this node owns the partition in its current epoch and has taken
    /// it over. Taking over is one requeue script: it raises the partition's fence to this epoch (the previous owner
    /// can write no more) and reads the exact ready count and next deadline.
    /// </summary>
    private async Task<(long Epoch, OwnerReply<bool>? Refusal)> PrepareAsync(string topic, int partition)
    {
        var membership = ring.Membership;
        var owner = QueueRing.OwnerOf(membership, topic, partition);
        if (owner != _self)
        {
            return (membership.Epoch, OwnerReply<bool>.NotOwner(membership.Epoch, owner));
        }

        if (owned.Get(topic, partition, membership.Epoch) is not null)
        {
            return (membership.Epoch, null);
        }

        var takeover = await RequeueCoreAsync(topic, partition, membership.Epoch);
        return (membership.Epoch, takeover.Status == OwnerStatus.Ok ? null : takeover.As<bool>());
    }

    private async Task<OwnerReply<RequeueResult>> RequeueCoreAsync(string topic, int partition, long epoch)
    {
        var result = await KeepViewAsync(topic, partition, store.RequeueDueAsync(topic, partition, epoch, MaxDeliveries(topic), RequeueBatch, _dedupWindowMs));
        if (result.Stale)
        {
            return OwnerReply<RequeueResult>.Stale(epoch, result.Epoch);
        }

        owned.Set(topic, partition, epoch, result.Ready, result.DueInMs, result.Version);
        if (result.Requeued + result.Dead + result.Promoted > 0)
        {
            telemetry.Redelivered(topic, partition, epoch, result.Requeued, result.Dead, result.Promoted);
            await store.NotifyAsync(topic);
        }

        return OwnerReply<RequeueResult>.Ok(epoch, result);
    }

    /// <summary>
    /// A store call whose answer never came may still have changed the partition (a publish stored, a lease made), and
    /// the view would go on saying otherwise: "empty" to every consumer, no deadline to the scheduler, until this node's
    /// next call there. So the view is dropped, and the next call takes the partition over again and reads it exactly.
    /// </summary>
    private async Task<T> KeepViewAsync<T>(string topic, int partition, Task<T> call)
    {
        try
        {
            return await call;
        }
        catch
        {
            owned.Forget(topic, partition);
            throw;
        }
    }

    private int MaxDeliveries(string topic) => topics.TryGet(topic, out var config) ? config.MaxDeliveries : options.Value.DefaultMaxDeliveries;
}

/// <summary>A message ready to store: its id (which names its partition), its record, how long to hold it back, and the key
/// its publish's request id gives it ('' for none), under which the partition remembers its answer.</summary>
public sealed record OutgoingMessage(string Id, MessageRecord Record, long DelayMs, string RequestKey = "");

public enum OwnerStatus { Ok, NotOwner, Stale }

/// <summary>An owner's answer: the value, or why this node could not act (and what it knows about who can).</summary>
public sealed record OwnerReply<T>(OwnerStatus Status, long Epoch, T? Value, string? Owner, long StoredEpoch)
{
    public static OwnerReply<T> Ok(long epoch, T value) => new(OwnerStatus.Ok, epoch, value, null, 0);

    public static OwnerReply<T> NotOwner(long epoch, string owner) => new(OwnerStatus.NotOwner, epoch, default, owner, 0);

    public static OwnerReply<T> Stale(long epoch, long storedEpoch) => new(OwnerStatus.Stale, epoch, default, null, storedEpoch);

    public OwnerReply<TOther> As<TOther>() => new(Status, Epoch, default, Owner, StoredEpoch);

    public OwnerReply<TOther> Map<TOther>(Func<T, TOther> map) => new(Status, Epoch, Status == OwnerStatus.Ok ? map(Value!) : default, Owner, StoredEpoch);
}
