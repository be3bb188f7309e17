using System.Diagnostics;
using System.Security.Claims;
using DistSync.Node.Http;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Queue;

/// <summary>
/// <c>/queue/*</c>: the original system's paths and fields, plus what SQS users expect (batches, long polling,
/// nack, extend, dead letters, redrive). Any node takes any request and forwards it to the partition's owner.
/// </summary>
public static class QueueApi
{
    /// <summary>A body with a topic and a few fields, as every queue request but a publish is.</summary>
    private const int SmallBody = 4096;

    private static readonly string TopicBounds = string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"The first publish to a topic creates it. A creation past a bound is a 409 problem (title 'Limit reached', limit and max naming the bound) "
        + $"and creates nothing: {TopicLimits.MaxTopics:N0} topics and {TopicLimits.MaxPartitions:N0} partitions in the cluster, "
        + $"{TopicLimits.MaxTopicsPerToken:N0} topics and {TopicLimits.MaxPartitionsPerToken:N0} partitions created by one token.");

    public static IEndpointRouteBuilder MapQueueApi(this IEndpointRouteBuilder app)
    {
        var queue = app.MapGroup("/queue").WithTags("Queue").AddEndpointFilter(new TargetFilter("topic"));
        queue.MapPost("/publish", PublishAsync).WithName("Publish").RequireRole(Role.Writer).WithBodyLimit(QueueLimits.MaxPayloadBytes + SmallBody)
            .WithSummary("Publish one message (any JSON payload); a key keeps its messages in one partition, in order; a dedup_id seen in the last 5 minutes queues nothing.")
            .WithDescription(TopicBounds);
        queue.MapPost("/publish_batch", PublishBatchAsync).WithName("PublishBatch").RequireRole(Role.Writer)
            .WithBodyLimit((long)QueueLimits.MaxBatch * (QueueLimits.MaxPayloadBytes + SmallBody)).WithSummary("Publish up to 100 messages in one request.")
            .WithDescription(TopicBounds);
        queue.MapPost("/consume", ConsumeAsync).WithName("Consume").RequireRole(Role.Writer).WithBodyLimit(SmallBody).AddEndpointFilter(app.ServiceProvider.GetRequiredService<BlockingWaits>())
            .WithSummary("Take a message (or up to max_messages), hidden from others for visibility_timeout_sec; wait_sec long-polls up to 20 s.");
        queue.MapPost("/ack", AckAsync).WithName("Ack").RequireRole(Role.Writer).WithBodyLimit(SmallBody).WithSummary("Acknowledge a message: it is never delivered again.");
        queue.MapPost("/ack_batch", AckBatchAsync).WithName("AckBatch").RequireRole(Role.Writer).WithBodyLimit(QueueLimits.MaxBatch * SmallBody).WithSummary("Acknowledge up to 100 messages.");
        queue.MapPost("/nack", NackAsync).WithName("Nack").RequireRole(Role.Writer).WithBodyLimit(SmallBody).WithSummary("Return a message now (or after delay_sec) instead of waiting for its visibility timeout.");
        queue.MapPost("/extend", ExtendAsync).WithName("ExtendVisibility").RequireRole(Role.Writer).WithBodyLimit(SmallBody).WithSummary("Keep a slow consumer's claim: the message stays hidden visibility_timeout_sec from now.");
        queue.MapPost("/requeue_expired", RequeueExpiredAsync).WithName("RequeueExpired").RequireRole(Role.Writer).WithBodyLimit(SmallBody)
            .WithSummary("Return every message whose visibility timeout passed (owners also do this by themselves at each deadline).");
        queue.MapGet("/dead_letters", DeadLettersAsync).WithName("DeadLetters").RequireRole(Role.Reader).WithSummary("Messages that used up max_deliveries, oldest first.");
        queue.MapPost("/redrive", RedriveAsync).WithName("Redrive").RequireRole(Role.Admin).WithBodyLimit(SmallBody).WithSummary("Put a topic's dead letters back in the queue with their delivery count reset.");
        queue.MapGet("/stats", StatsAsync).WithName("QueueStats").RequireRole(Role.Reader).WithSummary("Per partition: owner, epoch, ready, in flight, delayed, dead, oldest age; without a topic, every topic.");
        return app;
    }

    public static async Task<Results<Ok<PublishedResponse>, ProblemHttpResult>> PublishAsync(PublishRequest request, ClaimsPrincipal user, QueueService queue, QueueTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        if ((QueueValidator.Topic(request.Topic) ?? QueueValidator.TopicSettings(request.Partitions, request.MaxDeliveries)
            ?? QueueValidator.Message("", request.Payload, request.Key, request.DedupId, request.DelaySec) ?? QueueValidator.RequestId(request.RequestId)) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        var published = await PublishCoreAsync(request.Topic!, request.Partitions, request.MaxDeliveries,
            [new PublishBatchItem(request.Payload, request.Key, request.DedupId, request.DelaySec)], request.RequestId, user, queue, telemetry, cancellationToken);
        return TypedResults.Ok(published[0]);
    }

    public static async Task<Results<Ok<PublishBatchResponse>, ProblemHttpResult>> PublishBatchAsync(PublishBatchRequest request, ClaimsPrincipal user, QueueService queue, QueueTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        var error = QueueValidator.Topic(request.Topic) ?? QueueValidator.TopicSettings(request.Partitions, request.MaxDeliveries) ?? QueueValidator.Batch("messages", request.Messages?.Count)
            ?? QueueValidator.RequestId(request.RequestId);
        for (var i = 0; error is null && i < request.Messages!.Count; i++)
        {
            var m = request.Messages[i];
            error = m is null ? new FieldError($"messages[{i}]", "must be a message") : QueueValidator.Message($"messages[{i}].", m.Payload, m.Key, m.DedupId, m.DelaySec);
        }

        if (error is not null)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        var published = await PublishCoreAsync(request.Topic!, request.Partitions, request.MaxDeliveries, request.Messages!, request.RequestId, user, queue, telemetry, cancellationToken);
        return TypedResults.Ok(new PublishBatchResponse("queued", request.Topic!, published));
    }

    public static async Task<Results<Ok<ConsumedResponse>, Ok<ConsumedBatchResponse>, Ok<QueueEmptyResponse>, ProblemHttpResult>> ConsumeAsync(
        ConsumeRequest request, QueueService queue, QueueTelemetry telemetry, CancellationToken cancellationToken)
    {
        if ((QueueValidator.Topic(request.Topic) ?? QueueValidator.Consume(request.VisibilityTimeoutSec, request.WaitSec, request.MaxMessages, request.RequestId, request.Attempt)) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        using var activity = telemetry.StartConsume(request.Topic!, request.WaitSec ?? 0);
        var started = Stopwatch.GetTimestamp();
        var wait = TimeSpan.FromSeconds(request.WaitSec ?? 0);
        var topic = await queue.FindTopicAsync(request.Topic!, cancellationToken);
        IReadOnlyList<QueueMessageView> messages = [];
        if (topic is not null)
        {
            var visibilityMs = (long)((request.VisibilityTimeoutSec ?? topic.VisibilityTimeoutSec) * 1000);
            // Without a client's request id, one for this request: a forward whose answer is lost is asked again with it.
            // A client's first attempt leased nothing yet; any other use of its request id may repeat a lease.
            messages = await queue.ConsumeAsync(topic, visibilityMs, request.MaxMessages ?? 1, wait, request.RequestId ?? Guid.NewGuid().ToString("N"),
                repeat: request.RequestId is not null && request.Attempt is not 1, cancellationToken);
            if (cancellationToken.IsCancellationRequested && messages.Count > 0 && request.RequestId is null)
            {
                // The caller hung up as the lease was made: nobody will read this answer, so the messages go back now
                // rather than at the end of their visibility, and the deliveries do not count. A caller that gave a
                // request id said it may ask again for this very lease: it stays leased to that repeat.
                await queue.ReleaseAsync(topic, messages);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        else if (wait > TimeSpan.Zero)
        {
            // Nothing was ever published to it: wait for its first publish, as for an empty topic.
            await Task.Delay(wait, cancellationToken);
        }

        var waited = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        QueueTelemetry.Delivered(activity, messages, waited);
        if (messages.Count == 0)
        {
            return TypedResults.Ok(new QueueEmptyResponse("empty", request.Topic!, Math.Round(waited, 3)));
        }

        return request.MaxMessages is null
            ? TypedResults.Ok(ConsumedResponse.From(messages[0]))
            : TypedResults.Ok(new ConsumedBatchResponse("ok", request.Topic!, messages));
    }

    public static async Task<Results<Ok<AckedResponse>, Conflict<QueueConflictResponse>, ProblemHttpResult>> AckAsync(
        AckRequest request, QueueService queue, QueueTelemetry telemetry, CancellationToken cancellationToken)
    {
        if (QueueValidator.RequestId(request.RequestId) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        var (topic, delivery, problem) = await TargetAsync(request.Topic, request.Id, request.Receipt, "id", queue, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        using var activity = telemetry.StartAck(topic!.Name, request.Id!);
        var (result, retried) = await queue.ChangeAsync(topic, ChangeOp.Ack, request.Id!, delivery, 0, 0, cancellationToken, request.RequestId);
        return result.Status switch
        {
            // A retry that finds it gone: an earlier try of this same ack removed it.
            ChangeStatus.Acked or ChangeStatus.NotFound when result.Status == ChangeStatus.Acked || retried => TypedResults.Ok(new AckedResponse("acked", topic.Name, request.Id!)),
            ChangeStatus.StaleReceipt => TypedResults.Conflict(new QueueConflictResponse("stale_receipt", topic.Name, request.Id!,
                "The message was delivered again since this receipt was issued; only the latest delivery's receipt can ack it.")),
            _ => NotFound("id", topic.Name),
        };
    }

    public static async Task<Results<Ok<AckBatchResponse>, ProblemHttpResult>> AckBatchAsync(AckBatchRequest request, QueueService queue, CancellationToken cancellationToken)
    {
        if ((QueueValidator.Topic(request.Topic) ?? QueueValidator.Batch("messages", request.Messages?.Count) ?? QueueValidator.RequestId(request.RequestId)) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        if (await queue.FindTopicAsync(request.Topic!, cancellationToken) is not { } topic)
        {
            return NotFound("topic", request.Topic!);
        }

        var deliveries = new long?[request.Messages!.Count];
        for (var i = 0; i < request.Messages.Count; i++)
        {
            if (QueueValidator.Id($"messages[{i}].id", request.Messages[i]?.Id, request.Messages[i]?.Receipt, topic.Partitions, out deliveries[i]) is { } bad)
            {
                return Problems.InvalidField(bad.Field, bad.Rule);
            }
        }

        var results = await Task.WhenAll(request.Messages.Select((m, i) => queue.ChangeAsync(topic, ChangeOp.Ack, m!.Id!, deliveries[i], 0, 0, cancellationToken, request.RequestId)));
        return TypedResults.Ok(new AckBatchResponse("ok", topic.Name, [.. results.Select((r, i) => new AckedResponse(
            r.Result.Status == ChangeStatus.Acked || (r.Result.Status == ChangeStatus.NotFound && r.Retried) ? "acked" : Snake(r.Result.Status),
            topic.Name, request.Messages[i]!.Id!))]));
    }

    public static async Task<Results<Ok<ChangedResponse>, Conflict<QueueConflictResponse>, ProblemHttpResult>> NackAsync(
        NackRequest request, QueueService queue, CancellationToken cancellationToken)
    {
        if (QueueValidator.Seconds("delay_sec", request.DelaySec, QueueLimits.MaxDelaySec) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        var (topic, delivery, problem) = await TargetAsync(request.Topic, request.Id, request.Receipt, "id", queue, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (result, _) = await queue.ChangeAsync(topic!, ChangeOp.Nack, request.Id!, delivery, (long)((request.DelaySec ?? 0) * 1000), 0, cancellationToken);
        return Changed(result, topic!.Name, request.Id!, default);
    }

    public static async Task<Results<Ok<ChangedResponse>, Conflict<QueueConflictResponse>, ProblemHttpResult>> ExtendAsync(
        ExtendRequest request, QueueService queue, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.VisibilityTimeoutSec is null)
        {
            return Problems.InvalidField("visibility_timeout_sec", "is required");
        }

        if (QueueValidator.Seconds("visibility_timeout_sec", request.VisibilityTimeoutSec, QueueLimits.MaxVisibilityTimeoutSec) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        var (topic, delivery, problem) = await TargetAsync(request.Topic, request.Id, request.Receipt, "id", queue, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (result, _) = await queue.ChangeAsync(topic!, ChangeOp.Extend, request.Id!, delivery, 0, (long)(request.VisibilityTimeoutSec.Value * 1000), cancellationToken);
        return Changed(result, topic!.Name, request.Id!, time.GetUtcNow());
    }

    public static async Task<Results<Ok<RequeuedResponse>, ProblemHttpResult>> RequeueExpiredAsync(TopicRequest request, QueueService queue, CancellationToken cancellationToken)
    {
        if (QueueValidator.Topic(request.Topic) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        if (await queue.FindTopicAsync(request.Topic!, cancellationToken) is not { } topic)
        {
            return TypedResults.Ok(new RequeuedResponse("ok", request.Topic!, 0, 0));
        }

        var (requeued, dead) = await queue.RequeueExpiredAsync(topic, cancellationToken);
        return TypedResults.Ok(new RequeuedResponse("ok", topic.Name, requeued, dead));
    }

    public static async Task<Results<Ok<RedrivenResponse>, ProblemHttpResult>> RedriveAsync(TopicRequest request, QueueService queue, CancellationToken cancellationToken)
    {
        if (QueueValidator.Topic(request.Topic) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        if (await queue.FindTopicAsync(request.Topic!, cancellationToken) is not { } topic)
        {
            return NotFound("topic", request.Topic!);
        }

        return TypedResults.Ok(new RedrivenResponse("ok", topic.Name, await queue.RedriveAsync(topic, cancellationToken)));
    }

    public static async Task<Results<Ok<DeadLettersResponse>, ProblemHttpResult>> DeadLettersAsync(string? topic, int? limit, QueueService queue, CancellationToken cancellationToken)
    {
        if (QueueValidator.Topic(topic) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        if (limit is < 1 or > QueueLimits.MaxDeadLetterPage)
        {
            return Problems.InvalidField("limit", $"must be between 1 and {QueueLimits.MaxDeadLetterPage}");
        }

        if (await queue.FindTopicAsync(topic!, cancellationToken) is not { } config)
        {
            return NotFound("topic", topic!);
        }

        // The count and the page come from the same reads, so they agree even while messages are being dead-lettered.
        var (count, messages) = await queue.DeadLettersAsync(config, limit ?? 100);
        return TypedResults.Ok(new DeadLettersResponse(config.Name, count, messages));
    }

    public static async Task<Results<Ok<TopicStatsResponse>, Ok<QueueStatsResponse>, ProblemHttpResult>> StatsAsync(
        string? topic, QueueService queue, QueueRing ring, TopicRegistry topics, CancellationToken cancellationToken)
    {
        if (topic is null)
        {
            var membership = ring.Membership;
            return TypedResults.Ok(new QueueStatsResponse(membership.Epoch, membership.Members,
                [.. topics.Topics.Select(t => new TopicSummary(t.Name, t.Partitions, t.MaxDeliveries, t.VisibilityTimeoutSec))]));
        }

        if (QueueValidator.Topic(topic) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        return await queue.FindTopicAsync(topic, cancellationToken) is { } config
            ? TypedResults.Ok(await queue.StatsAsync(config))
            : NotFound("topic", topic);
    }

    private static async Task<IReadOnlyList<PublishedResponse>> PublishCoreAsync(string topicName, int? partitions, int? maxDeliveries,
        IReadOnlyList<PublishBatchItem> items, string? requestId, ClaimsPrincipal user, QueueService queue, QueueTelemetry telemetry, CancellationToken cancellationToken)
    {
        using var activity = telemetry.StartPublish(topicName, items.Count);
        var started = Stopwatch.GetTimestamp();
        var topic = await queue.EnsureTopicAsync(topicName, partitions, maxDeliveries, Principals.NameOf(user), cancellationToken);
        var published = await queue.PublishAsync(topic, items, requestId, cancellationToken);
        telemetry.PublishAnswered(activity, Stopwatch.GetElapsedTime(started), topicName, published[0].Partition, published[0].Owner, published[0].Epoch);
        return published;
    }

    /// <summary>The topic and the delivery a receipt names, or the problem with the request.</summary>
    private static async Task<(TopicConfig? Topic, long? Delivery, ProblemHttpResult? Problem)> TargetAsync(
        string? topicName, string? id, string? receipt, string field, QueueService queue, CancellationToken cancellationToken)
    {
        if (QueueValidator.Topic(topicName) is { } error)
        {
            return (null, null, Problems.InvalidField(error.Field, error.Rule));
        }

        if (await queue.FindTopicAsync(topicName!, cancellationToken) is not { } topic)
        {
            return (null, null, NotFound("topic", topicName!));
        }

        return QueueValidator.Id(field, id, receipt, topic.Partitions, out var delivery) is { } bad
            ? (null, null, Problems.InvalidField(bad.Field, bad.Rule))
            : (topic, delivery, null);
    }

    private static Results<Ok<ChangedResponse>, Conflict<QueueConflictResponse>, ProblemHttpResult> Changed(ForwardedChange result, string topic, string id, DateTimeOffset answeredAt) => result.Status switch
    {
        ChangeStatus.Nacked => TypedResults.Ok(new ChangedResponse("nacked", topic, id, null)),
        ChangeStatus.Dead => TypedResults.Ok(new ChangedResponse("dead_lettered", topic, id, null)),
        // Counted on Redis's clock; shown as the same instant on this node's wall clock, for people to read.
        ChangeStatus.Extended => TypedResults.Ok(new ChangedResponse("extended", topic, id, answeredAt.AddMilliseconds(result.VisibleForMs))),
        ChangeStatus.StaleReceipt => TypedResults.Conflict(new QueueConflictResponse("stale_receipt", topic, id, "The message was delivered again since this receipt was issued.")),
        _ => TypedResults.Conflict(new QueueConflictResponse("not_in_flight", topic, id, "The message is not delivered right now (acked, never consumed, or its visibility timeout passed).")),
    };

    private static ProblemHttpResult NotFound(string field, string topic) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
            detail: field == "topic" ? $"Topic '{topic}' has never been published to." : $"No message with this id in topic '{topic}' (acked, or never published).",
            extensions: new Dictionary<string, object?> { ["field"] = field, ["rule"] = "must name an existing " + (field == "topic" ? "topic" : "message") });

    private static string Snake(ChangeStatus status) => status switch
    {
        ChangeStatus.NotFound => "not_found",
        ChangeStatus.StaleReceipt => "stale_receipt",
        _ => status.ToString().ToLowerInvariant(),
    };
}
