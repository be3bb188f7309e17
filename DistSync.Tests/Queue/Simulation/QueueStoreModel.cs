using DistSync.Node.Queue;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>
/// The rules of <see cref="QueueScripts"/> over in-memory partitions, one method per script, each atomic (nothing else
/// runs while it does) and answering what <see cref="RedisQueueStore"/> makes of the script's reply. The scripts
/// themselves are checked against real servers in <c>QueueScriptsTests</c>, and this model against them, operation by
/// operation, in <c>QueueStoreModelTests</c>. <paramref name="nowMs"/> stands for Redis's clock (TIME), read once per call.
/// </summary>
internal sealed class QueueStoreModel
{
    /// <summary>Request ids a partition remembers at most (the scripts' bound).</summary>
    private const int MaxRequests = 10_000;

    private readonly Dictionary<(string Topic, int Partition), PartitionModel> _partitions = [];

    /// <summary>Members of a sorted set due at the same millisecond in the order they were added, not by id (see <see cref="SortedScores"/>).</summary>
    public bool TiesInArrivalOrder { get; init; }

    /// <summary>Off only to show what a missing fence does (see <c>QueueSimOptions.PlantFenceRemovedInModel</c>): no write is refused.</summary>
    public bool Fenced { get; init; } = true;

    /// <summary>Raised after every call that passed the fence: the partition, the epoch it carried and the version it made.</summary>
    public event Action<(string Topic, int Partition), long, PartitionModel>? Written;

    /// <summary>Raised when the fence refuses a call: the partition, the epoch it carried, the stored epoch.</summary>
    public event Action<(string Topic, int Partition), long, long>? Refused;

    public PartitionModel Partition(string topic, int partition)
    {
        if (!_partitions.TryGetValue((topic, partition), out var p))
        {
            p = new PartitionModel(TiesInArrivalOrder);
            _partitions[(topic, partition)] = p;
        }

        return p;
    }

    public IEnumerable<KeyValuePair<(string Topic, int Partition), PartitionModel>> Partitions => _partitions;

    public PublishResult Publish(string topic, int partition, long epoch, IReadOnlyList<OutgoingMessage> messages, long windowMs, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return new PublishResult(true, StoredEpoch(topic, partition), 0, -1, 0, 0, []);
        }

        var before = p.Ready.Count;
        Expire(p.DedupAt, p.Dedup, nowMs - windowMs, 100);
        var items = new List<PublishedItem>();
        foreach (var m in messages)
        {
            if (Recall(p, m.RequestKey) is PublishedItem answered)
            {
                items.Add(answered);
                continue;
            }

            var first = p.Messages.ContainsKey(m.Id) ? m.Id
                : m.Record.DedupId is { Length: > 0 } dedup ? p.Dedup.GetValueOrDefault(dedup)
                : null;
            if (first is not null)
            {
                var duplicate = new PublishedItem(PublishStatus.Duplicate, first, 0);
                items.Add(duplicate);
                Remember(p, m.RequestKey, duplicate, windowMs, nowMs);
                continue;
            }

            if (m.Record.DedupId is { Length: > 0 } newDedup)
            {
                p.Dedup[newDedup] = m.Id;
                p.DedupAt.Set(newDedup, nowMs);
            }

            p.Messages[m.Id] = m.Record;
            if (m.DelayMs > 0)
            {
                p.Delayed.Set(m.Id, nowMs + m.DelayMs);
            }
            else
            {
                p.Ready.AddLast(m.Id);
            }

            var queued = new PublishedItem(PublishStatus.Queued, m.Id, ++p.Offset);
            items.Add(queued);
            Remember(p, m.RequestKey, queued, windowMs, nowMs);
        }

        return Answer(topic, partition, epoch, p, new PublishResult(false, epoch, p.Ready.Count, DueIn(p, nowMs), before, p.Version, items));
    }

    public ConsumeResult Consume(string topic, int partition, long epoch, long visibilityMs, int max, string requestKey, long windowMs, bool recallOnly, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return new ConsumeResult(true, StoredEpoch(topic, partition), 0, -1, [], 0);
        }

        var taken = new List<StoredMessage>();
        var remembered = Recall(p, requestKey) as Lease;
        if (remembered is not null || recallOnly)
        {
            foreach (var (id, receipt) in remembered?.Receipts ?? [])
            {
                if (p.Messages.TryGetValue(id, out var record) && p.InFlight.Contains(id) && ReceiptOf(p, id) == receipt)
                {
                    taken.Add(new StoredMessage(id, record, p.Deliveries.GetValueOrDefault(id), receipt));
                }
            }

            return Answer(topic, partition, epoch, p, new ConsumeResult(false, epoch, p.Ready.Count, DueIn(p, nowMs), taken, p.Version));
        }

        var lease = new List<(string, long)>();
        for (var i = 0; i < max && p.Ready.First is { } head; i++)
        {
            p.Ready.RemoveFirst();
            var id = head.Value;
            if (!p.Messages.TryGetValue(id, out var record))
            {
                continue;
            }

            var receipt = ReceiptOf(p, id) + 1;
            p.Receipts[id] = receipt;
            var deliveries = p.Deliveries[id] = p.Deliveries.GetValueOrDefault(id) + 1;
            p.InFlight.Set(id, nowMs + visibilityMs);
            taken.Add(new StoredMessage(id, record, deliveries, receipt));
            lease.Add((id, receipt));
        }

        if (lease.Count > 0)
        {
            Remember(p, requestKey, new Lease(lease), windowMs, nowMs);
        }

        return Answer(topic, partition, epoch, p, new ConsumeResult(false, epoch, p.Ready.Count, DueIn(p, nowMs), taken, p.Version));
    }

    public ChangeResult Ack(string topic, int partition, long epoch, string id, long? receipt, string requestKey, long windowMs, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return StaleChange(topic, partition);
        }

        if (Recall(p, requestKey) is not null)
        {
            return Change(topic, partition, epoch, p, ChangeStatus.Acked, nowMs);
        }

        if (!p.Messages.ContainsKey(id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.NotFound, nowMs);
        }

        if (receipt is { } r && r != ReceiptOf(p, id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.StaleReceipt, nowMs);
        }

        if (!p.InFlight.Remove(id) && !p.Delayed.Remove(id) && !p.Ready.Remove(id))
        {
            p.Dead.Remove(id);
        }

        p.Messages.Remove(id);
        p.Deliveries.Remove(id);
        p.Receipts.Remove(id);
        Remember(p, requestKey, "ACKED", windowMs, nowMs);
        return Change(topic, partition, epoch, p, ChangeStatus.Acked, nowMs);
    }

    public ChangeResult Nack(string topic, int partition, long epoch, string id, long delayMs, int maxDeliveries, long? receipt, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return StaleChange(topic, partition);
        }

        if (!p.InFlight.Contains(id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.NotInFlight, nowMs);
        }

        if (receipt is { } r && r != ReceiptOf(p, id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.StaleReceipt, nowMs);
        }

        p.InFlight.Remove(id);
        if (p.Deliveries.GetValueOrDefault(id) >= maxDeliveries)
        {
            p.Dead.AddLast(id);
            return Change(topic, partition, epoch, p, ChangeStatus.Dead, nowMs);
        }

        if (delayMs > 0)
        {
            p.Delayed.Set(id, nowMs + delayMs);
        }
        else
        {
            p.Ready.AddFirst(id);
        }

        return Change(topic, partition, epoch, p, ChangeStatus.Nacked, nowMs);
    }

    public ChangeResult Extend(string topic, int partition, long epoch, string id, long visibilityMs, long? receipt, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return StaleChange(topic, partition);
        }

        if (!p.InFlight.Contains(id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.NotInFlight, nowMs);
        }

        if (receipt is { } r && r != ReceiptOf(p, id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.StaleReceipt, nowMs);
        }

        p.InFlight.Set(id, nowMs + visibilityMs);
        return Change(topic, partition, epoch, p, ChangeStatus.Extended, nowMs, visibilityMs);
    }

    public ChangeResult Release(string topic, int partition, long epoch, string id, long receipt, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return StaleChange(topic, partition);
        }

        if (!p.InFlight.Contains(id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.NotInFlight, nowMs);
        }

        if (receipt != ReceiptOf(p, id))
        {
            return Change(topic, partition, epoch, p, ChangeStatus.StaleReceipt, nowMs);
        }

        p.InFlight.Remove(id);
        var left = p.Deliveries.GetValueOrDefault(id) - 1;
        if (left <= 0)
        {
            p.Deliveries.Remove(id);
        }
        else
        {
            p.Deliveries[id] = left;
        }

        p.Ready.AddFirst(id);
        return Change(topic, partition, epoch, p, ChangeStatus.Released, nowMs);
    }

    public RequeueResult RequeueDue(string topic, int partition, long epoch, int maxDeliveries, int limit, long dedupWindowMs, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return new RequeueResult(true, StoredEpoch(topic, partition), 0, -1, 0, 0, 0, 0);
        }

        long requeued = 0, dead = 0, promoted = 0;
        foreach (var id in p.InFlight.UpTo(nowMs, limit))
        {
            p.InFlight.Remove(id);
            if (p.Deliveries.GetValueOrDefault(id) >= maxDeliveries)
            {
                p.Dead.AddLast(id);
                dead++;
            }
            else
            {
                p.Ready.AddFirst(id);
                requeued++;
            }
        }

        foreach (var id in p.Delayed.UpTo(nowMs, limit))
        {
            p.Delayed.Remove(id);
            p.Ready.AddLast(id);
            promoted++;
        }

        Expire(p.DedupAt, p.Dedup, nowMs - dedupWindowMs, limit);
        Forget(p, dedupWindowMs, limit, nowMs);
        return Answer(topic, partition, epoch, p, new RequeueResult(false, epoch, p.Ready.Count, DueIn(p, nowMs), requeued, dead, promoted, p.Version));
    }

    public RedriveResult Redrive(string topic, int partition, long epoch, int limit, long nowMs)
    {
        if (!TryPass(topic, partition, epoch, out var p))
        {
            return new RedriveResult(true, StoredEpoch(topic, partition), 0, -1, 0, 0, 0);
        }

        long moved = 0;
        for (var i = 0; i < limit && p.Dead.First is { } head; i++)
        {
            p.Dead.RemoveFirst();
            p.Deliveries.Remove(head.Value);
            p.Ready.AddLast(head.Value);
            moved++;
        }

        return Answer(topic, partition, epoch, p, new RedriveResult(false, epoch, p.Ready.Count, DueIn(p, nowMs), moved, p.Dead.Count, p.Version));
    }

    public PartitionStats Stats(string topic, int partition)
    {
        var p = Partition(topic, partition);
        var head = p.Ready.First is { } first ? p.Messages.GetValueOrDefault(first.Value) : null;
        return new PartitionStats(p.Ready.Count, p.InFlight.Count, p.Delayed.Count, p.Dead.Count, p.Epoch, head?.PublishedAtMs);
    }

    public (long Count, IReadOnlyList<StoredMessage> Messages) DeadLetters(string topic, int partition, int limit)
    {
        var p = Partition(topic, partition);
        var messages = p.Dead.Take(limit).Where(p.Messages.ContainsKey)
            .Select(id => new StoredMessage(id, p.Messages[id], p.Deliveries.GetValueOrDefault(id), 0)).ToList();
        return (p.Dead.Count, messages);
    }

    /// <summary>How long until the partition's next visibility deadline or delay ends (-1: none), as the scripts' duein().</summary>
    public static long DueIn(PartitionModel p, long nowMs) =>
        (p.InFlight.First, p.Delayed.First) switch
        {
            (null, null) => -1,
            (var a, var b) => Math.Max(0, Math.Min(a ?? long.MaxValue, b ?? long.MaxValue) - nowMs),
        };

    /// <summary>The fence: false when a newer epoch wrote here; else the stored epoch is raised to <paramref name="epoch"/> and the call counted in the version.</summary>
    private bool TryPass(string topic, int partition, long epoch, out PartitionModel p)
    {
        p = Partition(topic, partition);
        if (Fenced && p.Epoch > epoch)
        {
            Refused?.Invoke((topic, partition), epoch, p.Epoch);
            return false;
        }

        p.Epoch = Math.Max(p.Epoch, epoch);
        p.Version++;
        return true;
    }

    private long StoredEpoch(string topic, int partition) => Partition(topic, partition).Epoch;

    private T Answer<T>(string topic, int partition, long epoch, PartitionModel p, T result)
    {
        Written?.Invoke((topic, partition), epoch, p);
        return result;
    }

    private ChangeResult Change(string topic, int partition, long epoch, PartitionModel p, ChangeStatus status, long nowMs, long visibleForMs = 0) =>
        Answer(topic, partition, epoch, p, new ChangeResult(status, 0, p.Ready.Count, DueIn(p, nowMs), visibleForMs, p.Version));

    private ChangeResult StaleChange(string topic, int partition) => new(ChangeStatus.Stale, StoredEpoch(topic, partition), 0, -1, 0, 0);

    /// <summary>The number a receipt names: deliveries ever made (the scripts' receiptof).</summary>
    private static long ReceiptOf(PartitionModel p, string id) =>
        p.Receipts.TryGetValue(id, out var r) ? r : p.Deliveries.GetValueOrDefault(id);

    private static object? Recall(PartitionModel p, string key) => key.Length == 0 ? null : p.Requests.GetValueOrDefault(key);

    private static void Remember(PartitionModel p, string key, object answer, long windowMs, long nowMs)
    {
        if (key.Length == 0)
        {
            return;
        }

        p.Requests[key] = answer;
        p.RequestsAt.Set(key, nowMs);
        Forget(p, windowMs, 100, nowMs);
    }

    /// <summary>Request ids older than the window go, and past <see cref="MaxRequests"/> the oldest, at most <paramref name="limit"/> a call.</summary>
    private static void Forget(PartitionModel p, long windowMs, int limit, long nowMs)
    {
        var old = p.RequestsAt.UpTo(nowMs - windowMs, limit);
        var over = p.RequestsAt.Count - old.Count - MaxRequests;
        if (over > 0)
        {
            old.AddRange(p.RequestsAt.Lowest(Math.Min(over, limit)));
        }

        foreach (var key in old)
        {
            p.Requests.Remove(key);
            p.RequestsAt.Remove(key);
        }
    }

    private static void Expire(SortedScores at, Dictionary<string, string> values, long before, int limit)
    {
        foreach (var key in at.UpTo(before, limit))
        {
            values.Remove(key);
            at.Remove(key);
        }
    }

    /// <summary>A consume's remembered lease: the messages and the receipts it made.</summary>
    private sealed record Lease(IReadOnlyList<(string Id, long Receipt)> Receipts);
}
