using DistSync.Raft;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Queue;

/// <summary><c>/internal/queue/*</c>: a peer forwarding a queue request to this node as the partition's owner (cluster key required).</summary>
public static class QueueInternalApi
{
    public static IEndpointRouteBuilder MapQueueInternalApi(this IEndpointRouteBuilder app)
    {
        var queue = app.MapGroup("/internal/queue").ExcludeFromDescription().AllowAnonymous();
        queue.MapPost("/publish", PublishAsync);
        queue.MapPost("/consume", ConsumeAsync);
        queue.MapPost("/change", ChangeAsync);
        return app;
    }

    // An owner whose Redis fails answers 503 (the one mapping, ProblemExceptionHandler), not 500: the forwarding node
    // then answers its client at once instead of retrying an owner that cannot serve anyone until Redis is back.
    public static async Task<Ok<ForwardReply<IReadOnlyList<ForwardedPublished>>>> PublishAsync(ForwardPublish request, QueueOwner owner)
    {
        var messages = request.Messages.Select(m => new OutgoingMessage(m.Id, MessageRecord.Decode(m.Record), m.DelayMs, m.RequestKey ?? "")).ToList();
        var reply = await owner.PublishAsync(request.Topic, request.Partition, messages);
        return TypedResults.Ok(ForwardReply<IReadOnlyList<ForwardedPublished>>.From(reply,
            results => [.. results.Select(r => new ForwardedPublished(r.Status.ToString(), r.Id, r.Offset))]));
    }

    public static async Task<Ok<ForwardReply<IReadOnlyList<ForwardedDelivery>>>> ConsumeAsync(ForwardConsume request, QueueOwner owner)
    {
        var reply = await owner.ConsumeAsync(request.Topic, request.Partitions, request.VisibilityMs, request.Max, request.RequestId, request.Recheck);
        return TypedResults.Ok(ForwardReply<IReadOnlyList<ForwardedDelivery>>.From(reply,
            taken => [.. taken.Select(t => new ForwardedDelivery(t.Partition, t.Message.Id, t.Message.Record.Encode(), t.Message.Deliveries, t.Message.Receipt))]));
    }

    public static async Task<Ok<ForwardReply<ForwardedChange>>> ChangeAsync(ForwardChange request, QueueOwner owner)
    {
        var reply = request.Op switch
        {
            ChangeOp.Ack => (await owner.AckAsync(request.Topic, request.Partition, request.Id!, request.Delivery, request.RequestId)).Map(ForwardedChange.From),
            ChangeOp.Nack => (await owner.NackAsync(request.Topic, request.Partition, request.Id!, request.DelayMs, request.Delivery)).Map(ForwardedChange.From),
            ChangeOp.Extend => (await owner.ExtendAsync(request.Topic, request.Partition, request.Id!, request.VisibilityMs, request.Delivery)).Map(ForwardedChange.From),
            ChangeOp.Release => (await owner.ReleaseAsync(request.Topic, request.Partition, request.Id!, request.Delivery ?? 0)).Map(ForwardedChange.From),
            ChangeOp.Requeue => (await owner.RequeueDueAsync(request.Topic, request.Partition)).Map(ForwardedChange.From),
            _ => (await owner.RedriveAsync(request.Topic, request.Partition)).Map(ForwardedChange.From),
        };
        return TypedResults.Ok(ForwardReply<ForwardedChange>.From(reply, v => v));
    }
}
