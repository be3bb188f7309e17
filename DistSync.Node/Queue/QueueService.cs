using System.Collections.Concurrent;
using System.Diagnostics;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using DistSync.Node.Membership;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Queue;

/// <summary>
/// The queue as a client sees it, on any node: finds (or creates, through Raft) the topic, routes each message to
/// its partition's owner, this node or a peer, and retries while the ring moves. Consumers try this node's own
/// partitions first, then each other owner's, starting from a partition that rotates per request, and long-poll
/// on a notification when all are empty.
/// </summary>
public sealed class QueueService(
    QueueRing ring,
    QueueOwner owner,
    IQueuePeers forwarder,
    IQueueStore store,
    TopicRegistry topics,
    RaftHost raft,
    QueueNotifications notifications,
    PeerDirectory peers,
    IOptions<QueueOptions> options,
    TimeProvider time)
{
    /// <summary>A consumer waiting for a notification still looks this often, in case a notification was lost.</summary>
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    /// <summary>50 ms doubling over 7 tries: a little over 3 s, enough for the ring to drop a node that died (2 s grace).</summary>
    private const int MaxAttempts = 7;

    /// <summary>Long enough for the ring to move past a silent owner (it drops a node after 2 s), short enough for a client to be told.</summary>
    private static readonly TimeSpan RetryBudget = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, int> _cursors = new(StringComparer.Ordinal);
    private readonly string _self = peers.SelfId;
    private readonly QueueOptions _options = options.Value;

    /// <summary>The topic, created through Raft if it is new; <paramref name="token"/> (the caller's, as auth names it) is counted as its creator.</summary>
    public async Task<TopicConfig> EnsureTopicAsync(string topic, int? partitions, int? maxDeliveries, string? token, CancellationToken cancellationToken)
    {
        if (topics.TryGet(topic, out var known))
        {
            return known;
        }

        var configured = _options.Topics.GetValueOrDefault(topic);
        var create = new TopicConfig(topic,
            partitions ?? configured?.Partitions ?? _options.DefaultPartitions,
            maxDeliveries ?? configured?.MaxDeliveries ?? _options.DefaultMaxDeliveries,
            configured?.VisibilityTimeoutSec ?? _options.DefaultVisibilityTimeoutSec,
            token);
        var outcome = await raft.ProposeAsync(topics, create, cancellationToken);
        return outcome.Topic ?? throw new QueueLimitException(outcome.Refusal ?? "the topic could not be created", outcome.Limit, outcome.Limit is null ? null : outcome.Max);
    }

    /// <summary>The topic if it exists anywhere: a topic another node just created is seen after a read barrier.</summary>
    public async Task<TopicConfig?> FindTopicAsync(string topic, CancellationToken cancellationToken)
    {
        if (topics.TryGet(topic, out var known))
        {
            return known;
        }

        await raft.ReadBarrierAsync(cancellationToken);
        return topics.TryGet(topic, out known) ? known : null;
    }

    /// <summary>Publishes the items; with a <paramref name="requestId"/>, each item's first answer is remembered and a repeat gets it again.</summary>
    public async Task<IReadOnlyList<PublishedResponse>> PublishAsync(TopicConfig topic, IReadOnlyList<PublishBatchItem> items, string? requestId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var trace = Activity.Current?.Id;
        var messages = items.Select((item, i) =>
        {
            // The key decides the partition (order per key); without one, the dedup id or the request id, so a retry lands
            // where the first try did (and finds its answer there).
            var requestKey = requestId is null ? "" : $"p:{requestId}:{i}";
            var routing = item.Key ?? item.DedupId ?? (requestId is null ? Guid.NewGuid().ToString("N") : requestKey);
            var partition = QueueRing.PartitionOf(routing, topic.Partitions);
            var record = new MessageRecord(now, item.Key, item.DedupId, trace, item.Payload!.Value.Text);
            return (Partition: partition, Message: new OutgoingMessage(QueueRing.NewId(partition), record, (long)((item.DelaySec ?? 0) * 1000), requestKey));
        }).ToList();

        var answers = new PublishedResponse[messages.Count];
        await Task.WhenAll(messages.Select((m, i) => (m, i)).GroupBy(x => x.m.Partition).Select(async group =>
        {
            var batch = group.ToList();
            var outgoing = batch.Select(x => x.m.Message).ToList();
            var (results, who, epoch) = await RouteAsync(topic.Name, group.Key,
                async () => (await owner.PublishAsync(topic.Name, group.Key, outgoing))
                    .Map(rs => (IReadOnlyList<(PublishStatus, string?, long)>)[.. rs.Select(r => (r.Status, r.Id, r.Offset))]),
                async peer => Map(await forwarder.PublishAsync(peer,
                    new ForwardPublish(topic.Name, group.Key, [.. outgoing.Select(o => new ForwardedMessage(o.Id, o.Record.Encode(), o.DelayMs, o.RequestKey))]), cancellationToken)),
                cancellationToken);
            for (var k = 0; k < batch.Count; k++)
            {
                var (status, id, offset) = results[k];
                answers[batch[k].i] = new PublishedResponse(status == PublishStatus.Duplicate ? "duplicate" : "queued", id ?? batch[k].m.Message.Id, topic.Name, group.Key,
                    status == PublishStatus.Duplicate ? null : offset, who, epoch, batch[k].m.Message.DelayMs > 0);
            }
        }));
        return answers;

        static OwnerReply<IReadOnlyList<(PublishStatus, string?, long)>> Map(OwnerReply<IReadOnlyList<ForwardedPublished>> reply) =>
            new(reply.Status, reply.Epoch, reply.Value?.Select(v => (Enum.Parse<PublishStatus>(v.Status, ignoreCase: true), v.Id, v.Offset)).ToList(), reply.Owner, reply.StoredEpoch);
    }

    /// <summary>
    /// Up to <paramref name="max"/> messages, waiting up to <paramref name="wait"/> for the first one. Every owner asked
    /// remembers the lease it made for <paramref name="requestId"/>; <paramref name="repeat"/> says the client may be
    /// sending it again, so each owner first answers the lease it made before.
    /// </summary>
    public async Task<IReadOnlyList<QueueMessageView>> ConsumeAsync(TopicConfig topic, long visibilityMs, int max, TimeSpan wait, string requestId, bool repeat, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            // Taken before looking: a message published after the look still completes this signal.
            var signal = notifications.Signal(topic.Name);
            var messages = await TryConsumeAsync(topic, visibilityMs, max, requestId, repeat, cancellationToken);
            var left = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
            if (messages.Count > 0 || left <= TimeSpan.Zero)
            {
                return messages;
            }

            await Task.WhenAny(signal, Task.Delay(left < Recheck ? left : Recheck, time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Ack, nack or extend one message at its partition's owner. <c>Retried</c>: an earlier try may have done it.</summary>
    public async Task<(ForwardedChange Result, bool Retried)> ChangeAsync(TopicConfig topic, ChangeOp op, string id, long? delivery, long delayMs, long visibilityMs,
        CancellationToken cancellationToken, string? requestId = null)
    {
        QueueRing.TryPartitionOfId(id, topic.Partitions, out var partition);
        var tries = 0;
        var (result, _, _) = await RouteAsync(topic.Name, partition,
            async () =>
            {
                tries++;
                var reply = op switch
                {
                    ChangeOp.Ack => await owner.AckAsync(topic.Name, partition, id, delivery, requestId),
                    ChangeOp.Release => await owner.ReleaseAsync(topic.Name, partition, id, delivery ?? 0),
                    ChangeOp.Nack => await owner.NackAsync(topic.Name, partition, id, delayMs, delivery),
                    _ => await owner.ExtendAsync(topic.Name, partition, id, visibilityMs, delivery),
                };
                return reply.Map(ForwardedChange.From);
            },
            peer =>
            {
                tries++;
                return forwarder.ChangeAsync(peer, new ForwardChange(op, topic.Name, partition, id, delivery, delayMs, visibilityMs, requestId), cancellationToken);
            },
            cancellationToken);
        return (result, tries > 1);
    }

    /// <summary>
    /// Gives back messages leased to a consumer that went away before its answer: each goes back to the front of its
    /// partition at once, its delivery not counted, unless it was delivered again since (its receipt no longer current).
    /// </summary>
    public Task ReleaseAsync(TopicConfig topic, IReadOnlyList<QueueMessageView> messages) =>
        Task.WhenAll(messages.Select(m => Receipts.TryParse(m.Receipt, out _, out var receipt)
            ? ChangeAsync(topic, ChangeOp.Release, m.Id, receipt, 0, 0, CancellationToken.None)
            : Task.FromResult((default(ForwardedChange)!, false))));

    /// <summary><c>requeue_expired</c>: every partition's expired messages back now, summed (also done by each owner at each deadline).</summary>
    public async Task<(long Requeued, long Dead)> RequeueExpiredAsync(TopicConfig topic, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, topic.Partitions).Select(p => EveryPartitionAsync(topic, ChangeOp.Requeue, p, cancellationToken)));
        return (results.Sum(r => r.Requeued), results.Sum(r => r.Dead));
    }

    public async Task<long> RedriveAsync(TopicConfig topic, CancellationToken cancellationToken) =>
        (await Task.WhenAll(Enumerable.Range(0, topic.Partitions).Select(p => EveryPartitionAsync(topic, ChangeOp.Redrive, p, cancellationToken)))).Sum(r => r.Moved);

    private async Task<ForwardedChange> EveryPartitionAsync(TopicConfig topic, ChangeOp op, int partition, CancellationToken cancellationToken)
    {
        var (result, _, _) = await RouteAsync(topic.Name, partition,
            async () => op == ChangeOp.Requeue
                ? (await owner.RequeueDueAsync(topic.Name, partition)).Map(ForwardedChange.From)
                : (await owner.RedriveAsync(topic.Name, partition)).Map(ForwardedChange.From),
            peer => forwarder.ChangeAsync(peer, new ForwardChange(op, topic.Name, partition, null, null, 0, 0), cancellationToken),
            cancellationToken);
        return result;
    }

    public async Task<TopicStatsResponse> StatsAsync(TopicConfig topic)
    {
        var membership = ring.Membership;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // Reads need no owner: any node reads the partitions straight from Redis.
        var stats = await Task.WhenAll(Enumerable.Range(0, topic.Partitions).Select(p => store.StatsAsync(topic.Name, p)));
        var views = stats.Select((s, p) => new PartitionStatsView(p, QueueRing.OwnerOf(membership, topic.Name, p), s.Epoch, s.Ready, s.InFlight, s.Delayed, s.Dead,
            s.OldestPublishedAtMs is { } at ? Math.Round(Math.Max(0, now - at) / 1000.0, 3) : null)).ToList();
        return new TopicStatsResponse(topic.Name, topic.Partitions, topic.MaxDeliveries, topic.VisibilityTimeoutSec, membership.Epoch,
            views.Sum(v => v.Ready), views.Sum(v => v.InFlight), views.Sum(v => v.Delayed), views.Sum(v => v.Dead), views);
    }

    /// <summary>The topic's dead-letter count and its oldest <paramref name="limit"/> dead letters; each partition's pair is one read.</summary>
    public async Task<(long Count, IReadOnlyList<DeadLetterView> Messages)> DeadLettersAsync(TopicConfig topic, int limit)
    {
        var perPartition = await Task.WhenAll(Enumerable.Range(0, topic.Partitions).Select(p => store.DeadLettersAsync(topic.Name, p, limit)));
        return (perPartition.Sum(d => d.Count), [.. perPartition.SelectMany((d, p) => d.Messages.Select(m => new DeadLetterView(m.Id, p, new RawJson(m.Record.Payload), m.Record.Key, m.Deliveries,
                DateTimeOffset.FromUnixTimeMilliseconds(m.Record.PublishedAtMs))))
            .OrderBy(m => m.PublishedAt).Take(limit)]);
    }

    private async Task<IReadOnlyList<QueueMessageView>> TryConsumeAsync(TopicConfig topic, long visibilityMs, int max, string requestId, bool repeat, CancellationToken cancellationToken)
    {
        var membership = ring.Membership;
        var start = (_cursors.AddOrUpdate(topic.Name, 0, (_, c) => c + 1) & int.MaxValue) % topic.Partitions;
        var byOwner = Enumerable.Range(0, topic.Partitions).Select(i => (start + i) % topic.Partitions)
            .GroupBy(p => QueueRing.OwnerOf(membership, topic.Name, p))
            .OrderBy(g => g.Key == _self ? 0 : 1).ThenBy(g => (StableRank(g.Key) + start) % 997)
            .ToList();
        var now = time.GetUtcNow();
        var taken = new List<QueueMessageView>();
        foreach (var group in byOwner)
        {
            if (taken.Count >= max)
            {
                break;
            }

            // The caller is gone: lease nothing more (what was taken already, the API gives back).
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            IReadOnlyList<Leased> got;
            try
            {
                got = (await LeaseAsync(topic.Name, group.Key, [.. group], visibilityMs, max - taken.Count, requestId, repeat, cancellationToken)).Value ?? [];
            }
            catch (QueuePeerUnreachableException ex) when (!ex.MayHaveReached)
            {
                continue; // it took nothing; its partitions move to the others once the ring drops it, their messages wait in Redis
            }
            catch (QueuePeerUnreachableException)
            {
                // The owner may have leased messages and lost the answer: they must not sit unseen until their visibility
                // ends, counted as a delivery nobody got. Ask for that lease again (the same request id), wherever the
                // partitions are now.
                got = await RecallAsync(topic.Name, [.. group], visibilityMs, requestId, cancellationToken);
            }

            taken.AddRange(got.Select(m => new QueueMessageView(m.Id, topic.Name, m.Partition, new RawJson(m.Record.Payload), m.Record.Key, m.Deliveries,
                Receipts.Format(m.Id, m.Receipt), DateTimeOffset.FromUnixTimeMilliseconds(m.Record.PublishedAtMs), now.AddMilliseconds(visibilityMs))
            { TraceParent = m.Record.TraceParent }));
        }

        return taken;
    }

    /// <summary>One owner's lease for <paramref name="requestId"/>: here, or forwarded; empty when it refused (not the owner, stale).</summary>
    private async Task<OwnerReply<IReadOnlyList<Leased>>> LeaseAsync(string topic, string who, IReadOnlyList<int> partitions, long visibilityMs, int max,
        string requestId, bool recheck, CancellationToken cancellationToken)
    {
        if (who == _self)
        {
            return (await owner.ConsumeAsync(topic, partitions, visibilityMs, max, requestId, recheck))
                .Map(v => (IReadOnlyList<Leased>)[.. v.Select(m => new Leased(m.Partition, m.Message.Id, m.Message.Record, m.Message.Deliveries, m.Message.Receipt))]);
        }

        return (await forwarder.ConsumeAsync(who, new ForwardConsume(topic, partitions, visibilityMs, max, requestId, recheck), cancellationToken))
            .Map(v => (IReadOnlyList<Leased>)[.. v.Select(m => new Leased(m.Partition, m.Id, MessageRecord.Decode(m.Record), m.Deliveries, m.Receipt))]);
    }

    /// <summary>
    /// The lease <paramref name="requestId"/> made in these partitions, asked of whoever owns each now, taking nothing new;
    /// while the ring moves, tried again within <see cref="RetryBudget"/>. Unknown still: 503, may have been applied,
    /// naming the request id, so the client's retry with it gets the same lease.
    /// </summary>
    private async Task<IReadOnlyList<Leased>> RecallAsync(string topic, IReadOnlyList<int> partitions, long visibilityMs, string requestId, CancellationToken cancellationToken)
    {
        var pending = new HashSet<int>(partitions);
        var found = new List<Leased>();
        var delay = TimeSpan.FromMilliseconds(50);
        var until = time.GetTimestamp() + (long)(RetryBudget.TotalSeconds * time.TimestampFrequency);
        while (pending.Count > 0 && time.GetTimestamp() < until)
        {
            await Task.Delay(delay, time, cancellationToken);
            delay *= 2;
            var membership = ring.Membership;
            foreach (var group in pending.GroupBy(p => QueueRing.OwnerOf(membership, topic, p)).ToList())
            {
                try
                {
                    var reply = await LeaseAsync(topic, group.Key, [.. group], visibilityMs, 0, requestId, recheck: true, cancellationToken);
                    if (reply.Status == OwnerStatus.Ok)
                    {
                        found.AddRange(reply.Value!);
                        pending.ExceptWith(group);
                    }
                }
                catch (QueuePeerUnreachableException)
                {
                    // Still silent: the ring will move its partitions, or it answers at the next try.
                }
            }
        }

        return pending.Count == 0 ? found
            : throw new QueueUnavailableException($"The owner of partitions {string.Join(", ", pending)} of topic '{topic}' did not answer a consume and may have leased messages to it; "
                + "retry with this request_id to get the same messages.", maybeApplied: true, requestId);
    }

    private sealed record Leased(int Partition, string Id, MessageRecord Record, long Deliveries, long Receipt);

    /// <summary>
    /// Runs an operation where the partition's owner is: here, or forwarded. A refusal (not the owner, stale
    /// epoch) or a silent owner means the ring is moving: wait a moment and look the owner up again, for at most
    /// <see cref="MaxAttempts"/> tries within <see cref="RetryBudget"/> (a silent owner costs a forward's timeout each time).
    /// </summary>
    private async Task<(T Value, string Owner, long Epoch)> RouteAsync<T>(string topic, int partition,
        Func<Task<OwnerReply<T>>> local, Func<string, Task<OwnerReply<T>>> remote, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        var until = time.GetTimestamp() + (long)(RetryBudget.TotalSeconds * time.TimestampFrequency);
        string who = "";
        string why = "";
        // A try whose answer never came may have been applied: then so may the request, whatever the later tries said.
        var mayHaveApplied = false;
        for (var attempt = 0; attempt < MaxAttempts && (attempt == 0 || time.GetTimestamp() < until); attempt++)
        {
            var membership = ring.Membership;
            who = QueueRing.OwnerOf(membership, topic, partition);
            try
            {
                var reply = who == _self ? await local() : await remote(who);
                if (reply.Status == OwnerStatus.Ok)
                {
                    return (reply.Value!, who, reply.Epoch);
                }

                why = reply.Status == OwnerStatus.NotOwner
                    ? $"{who} says {reply.Owner} owns it in epoch {reply.Epoch}"
                    : $"epoch {reply.StoredEpoch} has written there since epoch {reply.Epoch}";
            }
            catch (QueuePeerUnreachableException ex)
            {
                why = ex.Message;
                mayHaveApplied |= ex.MayHaveReached;
            }

            await Task.Delay(delay, time, cancellationToken);
            delay *= 2;
        }

        throw new QueueUnavailableException($"Partition {partition} of topic '{topic}' has no owner that can take this now ({why}; ring epoch {ring.Membership.Epoch}); retry shortly.",
            mayHaveApplied);
    }

    private static int StableRank(string node) => (int)(HashRing.Hash(node) % 997);
}

/// <summary>A receipt names one delivery of one message: <c>{id}:{n}</c>, n its deliveries ever made, which only grows (a
/// redrive resets the count max_deliveries reads, not this), so no receipt names two deliveries.</summary>
public static class Receipts
{
    public static string Format(string id, long delivery) => $"{id}:{delivery}";

    public static bool TryParse(string receipt, out string id, out long delivery)
    {
        var colon = receipt.LastIndexOf(':');
        id = colon > 0 ? receipt[..colon] : "";
        delivery = 0;
        return colon > 0 && long.TryParse(receipt.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out delivery) && delivery > 0;
    }
}

/// <summary>A bound of the cluster's state was reached (topics or partitions, the cluster's or a token's).</summary>
public sealed class QueueLimitException(string message, string? limit = null, long? max = null) : Http.LimitReachedException(message, limit, max);
