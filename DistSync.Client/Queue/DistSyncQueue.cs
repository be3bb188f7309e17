using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace DistSync.Client;

/// <summary>
/// The queue: publish, and consume with at-least-once delivery. Every publish, consume and ack carries a request id, so
/// the client retries them on another node when one cannot answer, and a retry never queues, leases or acks twice.
/// </summary>
public sealed class DistSyncQueue
{
    private readonly NodeTransport _transport;
    private readonly Router _router;
    private readonly DistSyncClientOptions _options;
    private readonly AckBatcher _acks;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TopicSettings> _topics = new(StringComparer.Ordinal);

    internal DistSyncQueue(NodeTransport transport, Router router, DistSyncClientOptions options)
    {
        _transport = transport;
        _router = router;
        _options = options;
        _acks = new AckBatcher(transport, router);
    }

    /// <summary>Settings this client's publishes to <paramref name="topic"/> carry, for the publish that creates it.</summary>
    public void UseTopicSettings(string topic, TopicSettings settings)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(settings);
        _topics[topic] = settings;
    }

    public async Task<PublishedMessage> PublishAsync<T>(string topic, T payload, string? key = null, string? dedupId = null, TimeSpan? delay = null,
        CancellationToken cancellationToken = default)
    {
        using var activity = DistSyncTelemetry.Start("queue.publish", topic);
        var started = Stopwatch.GetTimestamp();
        var requestId = NewRequestId();
        // The partition follows from the key, the dedup id or the request id: sent straight to its owner, it takes no hop.
        var owner = await _router.PublishOwnerAsync(topic, key, dedupId, requestId, cancellationToken).ConfigureAwait(false);
        var settings = _topics.GetValueOrDefault(topic);
        var answer = await _transport.SendAsync(HttpMethod.Post, "/queue/publish", new
        {
            topic,
            payload = JsonSerializer.SerializeToElement(payload, _options.PayloadJson),
            key,
            dedup_id = dedupId,
            delay_sec = delay?.TotalSeconds,
            partitions = settings?.Partitions,
            max_deliveries = settings?.MaxDeliveries,
            request_id = requestId,
        }, Retry.Safe, "queue.publish", cancellationToken, owner).ConfigureAwait(false);
        DistSyncTelemetry.Record("queue.publish", started, "ok");
        if (owner is null)
        {
            await _router.LearnPartitionsAsync(topic, cancellationToken).ConfigureAwait(false);
        }

        if (answer.Body.TryGetProperty("epoch", out var epoch) && epoch.TryGetInt64(out var served))
        {
            _router.Invalidate(served);
        }

        return Published(answer.Body);
    }

    /// <summary>Up to 100 messages in one request, in the order given; one answer per message.</summary>
    public async Task<IReadOnlyList<PublishedMessage>> PublishBatchAsync<T>(string topic, IReadOnlyList<OutgoingMessage<T>> messages,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var activity = DistSyncTelemetry.Start("queue.publish_batch", topic);
        var started = Stopwatch.GetTimestamp();
        var answer = await _transport.SendAsync(HttpMethod.Post, "/queue/publish_batch", new
        {
            topic,
            messages = messages.Select(m => new
            {
                payload = JsonSerializer.SerializeToElement(m.Payload, _options.PayloadJson),
                key = m.Key,
                dedup_id = m.DedupId,
                delay_sec = m.Delay?.TotalSeconds,
            }).ToList(),
            partitions = _topics.GetValueOrDefault(topic)?.Partitions,
            max_deliveries = _topics.GetValueOrDefault(topic)?.MaxDeliveries,
            request_id = NewRequestId(),
        }, Retry.Safe, "queue.publish_batch", cancellationToken).ConfigureAwait(false);
        DistSyncTelemetry.Record("queue.publish_batch", started, "ok");
        return [.. answer.Body.GetProperty("messages").EnumerateArray().Select(Published)];
    }

    /// <summary>
    /// Messages of <paramref name="topic"/> as they come, until <paramref name="cancellationToken"/> fires. Each request
    /// long-polls; while messages keep coming the consumer asks for more per request (up to
    /// <see cref="ConsumeOptions.MaxBatch"/>), and for one at a time when they don't.
    /// </summary>
    public async IAsyncEnumerable<QueueMessage<T>> ConsumeAsync<T>(string topic, ConsumeOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new ConsumeOptions();
        var batch = 1;
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<QueueMessage<T>> messages;
            try
            {
                messages = await ConsumeBatchAsync<T>(topic, batch, options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            batch = messages.Count >= batch ? Math.Min(batch * 2, Math.Clamp(options.MaxBatch, 1, 100)) : Math.Max(1, messages.Count);
            foreach (var message in messages)
            {
                yield return message;
            }
        }
    }

    /// <summary>One consume request: up to <paramref name="max"/> messages, waiting up to the options' wait for the first.</summary>
    public async Task<IReadOnlyList<QueueMessage<T>>> ConsumeBatchAsync<T>(string topic, int max, ConsumeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ConsumeOptions();
        using var activity = DistSyncTelemetry.Start("queue.consume", topic);
        var started = Stopwatch.GetTimestamp();
        var sent = DateTimeOffset.UtcNow;
        var wait = TimeSpan.FromSeconds(Math.Clamp(options.Wait.TotalSeconds, 0, 20));
        var requestId = NewRequestId();
        var answer = await _transport.SendAsync(HttpMethod.Post, "/queue/consume", new AttemptBody(attempt => new
        {
            topic,
            visibility_timeout_sec = options.VisibilityTimeout?.TotalSeconds,
            wait_sec = wait.TotalSeconds,
            max_messages = Math.Clamp(max, 1, 100),
            // The same id on a retry gets the same lease: a consume whose answer was lost delivers nothing twice. The
            // first attempt says so, and the owners skip looking for a lease it cannot have made yet.
            request_id = requestId,
            attempt,
        }), Retry.Safe, "queue.consume", cancellationToken, extraTime: wait).ConfigureAwait(false);
        var body = answer.Body;
        if (NodeTransport.Text(body, "status") == "empty")
        {
            DistSyncTelemetry.Record("queue.consume", started, "empty");
            return [];
        }

        DistSyncTelemetry.Record("queue.consume", started, "ok");
        return [.. body.GetProperty("messages").EnumerateArray().Select(m => Message<T>(topic, m, sent, options.VisibilityTimeout))];
    }

    /// <summary>What <paramref name="topic"/> holds now: ready, in flight, delayed and dead messages over its partitions.</summary>
    public async Task<TopicStats> StatsAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var answer = await _transport.SendAsync(HttpMethod.Get, $"/queue/stats?topic={Uri.EscapeDataString(topic)}", null, Retry.Safe, "queue.stats",
            cancellationToken).ConfigureAwait(false);
        static long Count(JsonElement body, string name) => body.TryGetProperty(name, out var value) && value.TryGetInt64(out var count) ? count : 0;
        var body = answer.Body;
        var partitions = body.TryGetProperty("partition_stats", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(p => new PartitionStats((int)Count(p, "partition"), NodeTransport.Text(p, "owner") ?? "", Count(p, "epoch"),
                Count(p, "ready"), Count(p, "in_flight"), Count(p, "delayed"), Count(p, "dead")))]
            : new List<PartitionStats>();
        return new TopicStats(topic, Count(body, "ready"), Count(body, "in_flight"), Count(body, "delayed"), Count(body, "dead"), partitions);
    }

    /// <summary>The topic's dead letters, oldest first, at most <paramref name="limit"/> of them (1 to 1,000).</summary>
    public async Task<DeadLetters<T>> DeadLettersAsync<T>(string topic, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var answer = await _transport.SendAsync(HttpMethod.Get, $"/queue/dead_letters?topic={Uri.EscapeDataString(topic)}&limit={limit}", null,
            Retry.Safe, "queue.dead_letters", cancellationToken).ConfigureAwait(false);
        var body = answer.Body;
        var messages = body.TryGetProperty("messages", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(m => new DeadLetter<T>(
                m.GetProperty("id").GetString()!,
                m.GetProperty("partition").GetInt32(),
                m.GetProperty("payload").Deserialize<T>(_options.PayloadJson)!,
                NodeTransport.Text(m, "key"),
                m.TryGetProperty("delivery_count", out var count) && count.TryGetInt32(out var n) ? n : 0))]
            : new List<DeadLetter<T>>();
        return new DeadLetters<T>(body.TryGetProperty("count", out var total) && total.TryGetInt64(out var all) ? all : messages.Count, messages);
    }

    internal Task AckAsync<T>(QueueMessage<T> message, CancellationToken cancellationToken) =>
        _acks.AckAsync(message.Topic, message.Partition, message.Id, message.Receipt, cancellationToken);

    internal async Task NackAsync<T>(QueueMessage<T> message, TimeSpan? delay, CancellationToken cancellationToken)
    {
        using var activity = DistSyncTelemetry.Start("queue.nack", message.Topic);
        var answer = await _transport.SendAsync(HttpMethod.Post, "/queue/nack",
            new { topic = message.Topic, id = message.Id, receipt = message.Receipt, delay_sec = delay?.TotalSeconds },
            Retry.OnlyIfNotApplied, "queue.nack", cancellationToken,
            await _router.OwnerAsync(message.Topic, message.Partition, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        ThrowIfRefused(answer, "nack", message.Id);
    }

    internal async Task<DateTimeOffset> ExtendAsync<T>(QueueMessage<T> message, TimeSpan? visibility, CancellationToken cancellationToken)
    {
        using var activity = DistSyncTelemetry.Start("queue.extend", message.Topic);
        var seconds = (visibility ?? TimeSpan.FromSeconds(30)).TotalSeconds;
        var sent = DateTimeOffset.UtcNow;
        var answer = await _transport.SendAsync(HttpMethod.Post, "/queue/extend",
            new { topic = message.Topic, id = message.Id, receipt = message.Receipt, visibility_timeout_sec = seconds },
            Retry.Safe, "queue.extend", cancellationToken,
            await _router.OwnerAsync(message.Topic, message.Partition, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        ThrowIfRefused(answer, "extend", message.Id);
        return sent.AddSeconds(seconds);
    }

    internal static string NewRequestId() => Guid.NewGuid().ToString("N");

    private QueueMessage<T> Message<T>(string topic, JsonElement m, DateTimeOffset sent, TimeSpan? visibility)
    {
        var payload = m.GetProperty("payload").Deserialize<T>(_options.PayloadJson)!;
        // Counted from the send, on this client's clock. Without a visibility of its own, the topic's: what the node's
        // visible_until leaves from now, a bound that errs early by the answer's travel time.
        var visibleUntil = visibility is { } own ? sent + own
            : m.TryGetProperty("visible_until", out var until) && until.TryGetDateTimeOffset(out var serverUntil)
                ? sent + TimeSpan.FromTicks(Math.Max(0, (serverUntil - DateTimeOffset.UtcNow).Ticks))
                : sent;
        return new QueueMessage<T>(this, topic, m.GetProperty("id").GetString()!, m.GetProperty("partition").GetInt32(), payload,
            m.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String ? key.GetString() : null,
            m.GetProperty("delivery_count").GetInt32(), m.GetProperty("receipt").GetString()!, visibleUntil);
    }

    private static PublishedMessage Published(JsonElement m) => new(
        m.GetProperty("id").GetString()!,
        m.GetProperty("topic").GetString()!,
        m.GetProperty("partition").GetInt32(),
        m.TryGetProperty("offset", out var offset) && offset.ValueKind == JsonValueKind.Number ? offset.GetInt64() : 0,
        NodeTransport.Text(m, "status") == "duplicate");

    private static void ThrowIfRefused(NodeAnswer answer, string what, string id)
    {
        if (answer.Status == System.Net.HttpStatusCode.Conflict)
        {
            throw new DistSyncQueueRefusedException(what, id, NodeTransport.Text(answer.Body, "status") ?? "refused", NodeTransport.Text(answer.Body, "detail"));
        }
    }
}
