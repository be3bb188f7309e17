using DistSync.Node.Hosting;
using StackExchange.Redis;

namespace DistSync.Node.Queue;

/// <summary>
/// The queue's Redis adapter: runs one script per operation against a partition's keys and turns the reply into a
/// typed result. Every write carries the caller's ring epoch (see <see cref="QueueScripts"/> for the fence), and is
/// answered once the replicas <see cref="ReplicaWaits"/> asks for have it.
/// </summary>
public sealed class RedisQueueStore : IQueueStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly ReplicaWaits _replicaWaits;

    public RedisQueueStore(IConnectionMultiplexer redis, ReplicaWaits? replicaWaits = null)
    {
        _redis = redis;
        _replicaWaits = replicaWaits ?? ReplicaWaits.None;
        redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Reset?.Invoke();
            }
        };
    }

    public event Action? Reset;

    private IDatabase Db => _redis.GetDatabase();

    /// <summary>Messages into one partition in one script call, stored in the order given.</summary>
    public async Task<PublishResult> PublishAsync(string topic, int partition, long epoch, IReadOnlyList<OutgoingMessage> messages, long dedupWindowMs)
    {
        var args = new RedisValue[2 + (5 * messages.Count)];
        (args[0], args[1]) = (epoch, dedupWindowMs);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            var at = 2 + (5 * i);
            (args[at], args[at + 1], args[at + 2], args[at + 3], args[at + 4]) = (m.Id, m.Record.Encode(), m.Record.DedupId ?? "", m.DelayMs, m.RequestKey);
        }

        var reply = await RunAsync(QueueScripts.Publish, topic, partition, args);
        if (reply.Status == "STALE")
        {
            return new PublishResult(true, reply.Long(1), 0, -1, 0, 0, []);
        }

        var items = (RedisResult[])reply.Items[3]!;
        var published = new PublishedItem[items.Length / 3];
        for (var i = 0; i < published.Length; i++)
        {
            published[i] = new PublishedItem((string)items[3 * i]! == "DUPLICATE" ? PublishStatus.Duplicate : PublishStatus.Queued, (string)items[(3 * i) + 1]!, (long)items[(3 * i) + 2]);
        }

        return new PublishResult(false, epoch, reply.Long(1), reply.Long(2), reply.Long(4), reply.Version, published);
    }

    /// <summary>Takes up to <paramref name="max"/> messages; a <paramref name="requestKey"/> seen within <paramref name="windowMs"/>
    /// gets its first lease again instead, and <paramref name="recallOnly"/> takes nothing new.</summary>
    public async Task<ConsumeResult> ConsumeAsync(string topic, int partition, long epoch, long visibilityMs, int max, string requestKey = "", long windowMs = 0, bool recallOnly = false)
    {
        var reply = await RunAsync(QueueScripts.Consume, topic, partition, [epoch, visibilityMs, max, requestKey, windowMs, recallOnly ? "1" : "0"]);
        if (reply.Status == "STALE")
        {
            return new ConsumeResult(true, reply.Long(1), 0, -1, [], 0);
        }

        var items = (RedisResult[])reply.Items[3]!;
        var messages = new List<StoredMessage>(items.Length / 4);
        for (var i = 0; i + 3 < items.Length; i += 4)
        {
            messages.Add(new StoredMessage((string)items[i]!, MessageRecord.Decode((string)items[i + 1]!), (long)items[i + 2], (long)items[i + 3]));
        }

        return new ConsumeResult(false, epoch, reply.Long(1), reply.Long(2), messages, reply.Version);
    }

    /// <summary>Acks a message; a <paramref name="requestKey"/> that acked within <paramref name="windowMs"/> answers Acked again.</summary>
    public async Task<ChangeResult> AckAsync(string topic, int partition, long epoch, string id, long? delivery, string requestKey = "", long windowMs = 0) =>
        Change(await RunAsync(QueueScripts.Ack, topic, partition, [epoch, id, delivery?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", requestKey, windowMs]));

    public async Task<ChangeResult> ReleaseAsync(string topic, int partition, long epoch, string id, long receipt) =>
        Change(await RunAsync(QueueScripts.Release, topic, partition, [epoch, id, receipt]));

    public async Task<ChangeResult> NackAsync(string topic, int partition, long epoch, string id, long delayMs, int maxDeliveries, long? delivery) =>
        Change(await RunAsync(QueueScripts.Nack, topic, partition,
            [epoch, id, delayMs, maxDeliveries, delivery?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""]));

    public async Task<ChangeResult> ExtendAsync(string topic, int partition, long epoch, string id, long visibilityMs, long? delivery) =>
        Change(await RunAsync(QueueScripts.Extend, topic, partition,
            [epoch, id, visibilityMs, delivery?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""]), visibleForAt: 3);

    public async Task<RequeueResult> RequeueDueAsync(string topic, int partition, long epoch, int maxDeliveries, int limit, long dedupWindowMs)
    {
        var reply = await RunAsync(QueueScripts.RequeueDue, topic, partition, [epoch, maxDeliveries, limit, dedupWindowMs]);
        return reply.Status == "STALE"
            ? new RequeueResult(true, reply.Long(1), 0, -1, 0, 0, 0, 0)
            : new RequeueResult(false, epoch, reply.Long(1), reply.Long(2), reply.Long(3), reply.Long(4), reply.Long(5), reply.Version);
    }

    public async Task<RedriveResult> RedriveAsync(string topic, int partition, long epoch, int limit)
    {
        var reply = await RunAsync(QueueScripts.Redrive, topic, partition, [epoch, limit]);
        return reply.Status == "STALE"
            ? new RedriveResult(true, reply.Long(1), 0, -1, 0, 0, 0)
            : new RedriveResult(false, epoch, reply.Long(1), reply.Long(2), reply.Long(3), reply.Long(4), reply.Version);
    }

    public async Task<PartitionStats> StatsAsync(string topic, int partition)
    {
        var items = (RedisResult[])(await Db.ScriptEvaluateAsync(QueueScripts.Stats, PartitionKeys.For(topic, partition).All).AsRedisFailure())!;
        var head = (string?)items[5];
        return new PartitionStats((long)items[0], (long)items[1], (long)items[2], (long)items[3], (long)items[4],
            string.IsNullOrEmpty(head) ? null : MessageRecord.Decode(head).PublishedAtMs);
    }

    /// <summary>The partition's dead-letter count and its first <paramref name="limit"/> dead letters, read together.</summary>
    public async Task<(long Count, IReadOnlyList<StoredMessage> Messages)> DeadLettersAsync(string topic, int partition, int limit)
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(QueueScripts.DeadLetters, PartitionKeys.For(topic, partition).All, [limit]).AsRedisFailure())!;
        var items = (RedisResult[])reply[1]!;
        var messages = new List<StoredMessage>(items.Length / 3);
        for (var i = 0; i + 2 < items.Length; i += 3)
        {
            if ((string?)items[i + 1] is { Length: > 0 } record)
            {
                messages.Add(new StoredMessage((string)items[i]!, MessageRecord.Decode(record), long.Parse((string)items[i + 2]!, System.Globalization.CultureInfo.InvariantCulture), 0));
            }
        }

        return ((long)reply[0], messages);
    }

    /// <summary>Wakes the long-polling consumers of a topic on every node.</summary>
    public Task NotifyAsync(string topic) => _redis.GetSubscriber().PublishAsync(PartitionKeys.NotifyChannel(topic), "1", CommandFlags.FireAndForget);

    /// <summary>Every topic's channel, one pattern subscription (the multiplexer subscribes again after a reconnect).</summary>
    public Task SubscribeAsync(Action<string> notified) =>
        _redis.GetSubscriber().SubscribeAsync(PartitionKeys.NotifyPattern, (channel, _) => notified(PartitionKeys.TopicOfChannel(channel)));

    /// <summary>Runs a fenced write script; a refused (stale) call wrote nothing, so only an applied one waits for replicas.</summary>
    private async Task<Reply> RunAsync(string script, string topic, int partition, RedisValue[] args)
    {
        var result = await _replicaWaits.EvaluateAsync(Db, script, PartitionKeys.For(topic, partition).All, args,
            wroteNothing: r => (string?)((RedisResult[])r!)[0] == "STALE");
        return new Reply((RedisResult[])result!);
    }

    private static ChangeResult Change(Reply reply, int? visibleForAt = null) => reply.Status == "STALE"
        ? new ChangeResult(ChangeStatus.Stale, reply.Long(1), 0, -1, 0, 0)
        : new ChangeResult(Enum.Parse<ChangeStatus>(reply.Status.Replace("_", "", StringComparison.Ordinal), ignoreCase: true), 0, reply.Long(1), reply.Long(2),
            visibleForAt is { } at ? reply.Long(at) : 0, reply.Version);

    private readonly record struct Reply(RedisResult[] Items)
    {
        public string Status => (string)Items[0]!;

        public long Long(int i) => (long)Items[i];

        public string String(int i) => (string)Items[i]!;

        /// <summary>The partition's version after this call: the last item of every answer past the fence.</summary>
        public long Version => (long)Items[^1];
    }
}
