using DistSync.Node.Cluster;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Queue;

/// <summary><c>/internal/queue/*</c>: a peer forwarding a queue request to this node as the partition's owner (cluster key required).</summary>
public static class QueueInternalApi
{
    public static IEndpointRouteBuilder MapQueueInternalApi(this IEndpointRouteBuilder app)
    {
        var queue = app.MapGroup("/internal/queue").ExcludeFromDescription().AddEndpointFilter<ClusterKeyFilter>();
        queue.MapPost("/publish", PublishAsync);
        queue.MapPost("/consume", ConsumeAsync);
        queue.MapPost("/change", ChangeAsync);
        return app;
    }

    public static async Task<Ok<ForwardReply<IReadOnlyList<ForwardedPublished>>>> PublishAsync(ForwardPublish request, QueueOwner owner)
    {
        var messages = request.Messages.Select(m => new OutgoingMessage(m.Id, MessageRecord.Decode(m.Record), m.DelayMs)).ToList();
        var reply = await owner.PublishAsync(request.Topic, request.Partition, messages);
        return TypedResults.Ok(ForwardReply<IReadOnlyList<ForwardedPublished>>.From(reply,
            results => [.. results.Select(r => new ForwardedPublished(r.Status.ToString(), r.Id, r.Offset))]));
    }

    public static async Task<Ok<ForwardReply<IReadOnlyList<ForwardedDelivery>>>> ConsumeAsync(ForwardConsume request, QueueOwner owner)
    {
        var reply = await owner.ConsumeAsync(request.Topic, request.Partitions, request.VisibilityMs, request.Max);
        return TypedResults.Ok(ForwardReply<IReadOnlyList<ForwardedDelivery>>.From(reply,
            taken => [.. taken.Select(t => new ForwardedDelivery(t.Partition, t.Message.Id, t.Message.Record.Encode(), t.Message.Deliveries))]));
    }

    public static async Task<Ok<ForwardReply<ForwardedChange>>> ChangeAsync(ForwardChange request, QueueOwner owner)
    {
        var reply = request.Op switch
        {
            ChangeOp.Ack => (await owner.AckAsync(request.Topic, request.Partition, request.Id!, request.Delivery)).Map(ForwardedChange.From),
            ChangeOp.Nack => (await owner.NackAsync(request.Topic, request.Partition, request.Id!, request.DelayMs, request.Delivery)).Map(ForwardedChange.From),
            ChangeOp.Extend => (await owner.ExtendAsync(request.Topic, request.Partition, request.Id!, request.VisibilityMs, request.Delivery)).Map(ForwardedChange.From),
            ChangeOp.Requeue => (await owner.RequeueDueAsync(request.Topic, request.Partition)).Map(ForwardedChange.From),
            _ => (await owner.RedriveAsync(request.Topic, request.Partition)).Map(ForwardedChange.From),
        };
        return TypedResults.Ok(ForwardReply<ForwardedChange>.From(reply, v => v));
    }
}
