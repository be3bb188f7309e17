namespace DistSync.Node.Queue;

/// <summary>
/// Where the queue's messages live: every call is one atomic operation on one partition (Redis: one script, see
/// <see cref="QueueScripts"/>). Every write carries the caller's ring epoch and is refused (<c>Stale</c>, with the
/// stored epoch) when a newer epoch has written the partition, and raises the partition's fence to its epoch otherwise:
/// once a new owner has written, a deposed one can write nothing. Time is the store's own clock, read once per call;
/// deadlines come back as durations (<c>DueInMs</c>), never as times. Each answer past the fence carries the partition's
/// version, which orders answers as the store ran them.
/// </summary>
public interface IQueueStore
{
    /// <summary>
    /// Raised when the store may have gone back to an older state: its connection was lost and made again, so the
    /// server may have restarted from its append-only file (which can lack the last writes it acknowledged) or failed
    /// over to a replica. Versions may then repeat, and what an owner knew of its partitions must be read afresh.
    /// </summary>
    event Action? Reset;

    /// <summary>Messages into one partition in one call, stored in the order given.</summary>
    Task<PublishResult> PublishAsync(string topic, int partition, long epoch, IReadOnlyList<OutgoingMessage> messages, long dedupWindowMs);

    /// <summary>Takes up to <paramref name="max"/> messages; a <paramref name="requestKey"/> seen within <paramref name="windowMs"/>
    /// gets its first lease again instead, and <paramref name="recallOnly"/> takes nothing new.</summary>
    Task<ConsumeResult> ConsumeAsync(string topic, int partition, long epoch, long visibilityMs, int max, string requestKey = "", long windowMs = 0, bool recallOnly = false);

    /// <summary>Acks a message; a <paramref name="requestKey"/> that acked within <paramref name="windowMs"/> answers Acked again.</summary>
    Task<ChangeResult> AckAsync(string topic, int partition, long epoch, string id, long? delivery, string requestKey = "", long windowMs = 0);

    /// <summary>Gives back the lease <paramref name="receipt"/> names: ready again at once, the delivery not counted.</summary>
    Task<ChangeResult> ReleaseAsync(string topic, int partition, long epoch, string id, long receipt);

    /// <summary>Back to the queue after <paramref name="delayMs"/>, or to the dead letters once delivered <paramref name="maxDeliveries"/> times.</summary>
    Task<ChangeResult> NackAsync(string topic, int partition, long epoch, string id, long delayMs, int maxDeliveries, long? delivery);

    Task<ChangeResult> ExtendAsync(string topic, int partition, long epoch, string id, long visibilityMs, long? delivery);

    /// <summary>Expired leases back to the queue (or the dead letters), due delayed messages ready; also how an owner takes a partition over.</summary>
    Task<RequeueResult> RequeueDueAsync(string topic, int partition, long epoch, int maxDeliveries, int limit, long dedupWindowMs);

    Task<RedriveResult> RedriveAsync(string topic, int partition, long epoch, int limit);

    /// <summary>Read-only, so any node may ask.</summary>
    Task<PartitionStats> StatsAsync(string topic, int partition);

    /// <summary>The partition's dead-letter count and its first <paramref name="limit"/> dead letters, read together.</summary>
    Task<(long Count, IReadOnlyList<StoredMessage> Messages)> DeadLettersAsync(string topic, int partition, int limit);

    /// <summary>Wakes the long-polling consumers of a topic on every node (at most once: a consumer also looks again by itself).</summary>
    Task NotifyAsync(string topic);

    /// <summary>Calls <paramref name="notified"/> with the topic of every notification, from any node.</summary>
    Task SubscribeAsync(Action<string> notified);
}

/// <summary><paramref name="Deliveries"/> counts toward max_deliveries (a redrive resets it); <paramref name="Receipt"/> numbers
/// this delivery among all the message ever had (never reset; 0 where no delivery is named, as in the dead letters).</summary>
public sealed record StoredMessage(string Id, MessageRecord Record, long Deliveries, long Receipt);

public enum PublishStatus { Queued, Duplicate }

/// <summary>A message's outcome: queued at <paramref name="Offset"/>, or a duplicate of the message <paramref name="Id"/> (offset 0).</summary>
public sealed record PublishedItem(PublishStatus Status, string Id, long Offset);

/// <summary><paramref name="Ready"/> and <paramref name="DueInMs"/> (how long until the next deadline on Redis's clock; -1: none)
/// keep the owner's view of the partition exact;
/// <paramref name="Version"/> orders answers as Redis ran them (see <see cref="QueueScripts"/>); <paramref name="ReadyBefore"/>
/// says whether the partition was empty (consumers to wake).</summary>
public sealed record PublishResult(bool Stale, long StoredEpoch, long Ready, long DueInMs, long ReadyBefore, long Version, IReadOnlyList<PublishedItem> Items);

public sealed record ConsumeResult(bool Stale, long Epoch, long Ready, long DueInMs, IReadOnlyList<StoredMessage> Messages, long Version);

public enum ChangeStatus { Acked, NotFound, StaleReceipt, Nacked, Dead, NotInFlight, Extended, Stale, Done, Released }

/// <summary><paramref name="VisibleForMs"/>: an extended message's visibility left, counted on Redis's clock from the call.</summary>
public sealed record ChangeResult(ChangeStatus Status, long StoredEpoch, long Ready, long DueInMs, long VisibleForMs, long Version);

public sealed record RequeueResult(bool Stale, long Epoch, long Ready, long DueInMs, long Requeued, long Dead, long Promoted, long Version);

public sealed record RedriveResult(bool Stale, long Epoch, long Ready, long DueInMs, long Moved, long StillDead, long Version);

public sealed record PartitionStats(long Ready, long InFlight, long Delayed, long Dead, long Epoch, long? OldestPublishedAtMs);
