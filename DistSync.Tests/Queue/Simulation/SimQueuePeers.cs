using DistSync.Node.Http;
using DistSync.Node.Queue;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>
/// One node incarnation's links to the others, in place of <see cref="QueueForwarder"/>: a forward reaches the owner's
/// real <see cref="QueueInternalApi"/> handler after a seeded delay, and its answer comes back the same way. A node that is
/// down refuses the connection at once (nothing reached it); across an isolation, or when either end crashes on the way,
/// the sender waits out its timeout and learns nothing (it may have reached the owner), as over HTTP.
/// </summary>
internal sealed class SimQueuePeers(QueueSimulation sim, QueueSimNode sender, int incarnation) : IQueuePeers
{
    public Task<OwnerReply<IReadOnlyList<ForwardedPublished>>> PublishAsync(string owner, ForwardPublish request, CancellationToken cancellationToken) =>
        SendAsync(owner, target => QueueInternalApi.PublishAsync(request, target.Owner!));

    public Task<OwnerReply<IReadOnlyList<ForwardedDelivery>>> ConsumeAsync(string owner, ForwardConsume request, CancellationToken cancellationToken) =>
        SendAsync(owner, target => QueueInternalApi.ConsumeAsync(request, target.Owner!));

    public Task<OwnerReply<ForwardedChange>> ChangeAsync(string owner, ForwardChange request, CancellationToken cancellationToken) =>
        SendAsync(owner, target => QueueInternalApi.ChangeAsync(request, target.Owner!));

    private bool SenderAlive => sender.Alive && sender.Incarnation == incarnation;

    private async Task<OwnerReply<T>> SendAsync<T>(string to, Func<QueueSimNode, Task<Ok<ForwardReply<T>>>> handle)
    {
        var target = sim.Node(to);
        if (!target.Alive)
        {
            throw new QueuePeerUnreachableException(to, "connection refused");
        }

        var targetIncarnation = target.Incarnation;
        var sentAt = sim.NowMs;
        await sim.NetworkDelayAsync();
        if (!SenderAlive)
        {
            throw new SimCrashedException();
        }

        if (!sim.Connected(sender, incarnation, target, targetIncarnation))
        {
            return await TimeoutAsync<OwnerReply<T>>(to, sentAt);
        }

        IResult answer;
        try
        {
            answer = await handle(target);
        }
        catch (SimCrashedException)
        {
            return await TimeoutAsync<OwnerReply<T>>(to, sentAt); // the owner died while it handled the request
        }
        catch (Exception ex) when (ProblemExceptionHandler.ToProblem(ex) is { } problem)
        {
            answer = problem; // the node's one mapping from failures to answers, as over HTTP
        }

        await sim.NetworkDelayAsync();
        if (!SenderAlive)
        {
            throw new SimCrashedException();
        }

        if (!sim.Connected(target, targetIncarnation, sender, incarnation))
        {
            return await TimeoutAsync<OwnerReply<T>>(to, sentAt);
        }

        return answer switch
        {
            Ok<ForwardReply<T>> ok => ok.Value!.ToOwnerReply(),
            ProblemHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable } =>
                throw new QueueUnavailableException($"{to}, the partition's owner, could not reach Redis; the request may or may not have been applied. Retry shortly.", maybeApplied: true),
            _ => throw new InvalidOperationException($"{to} answered a forward with {answer}"),
        };
    }

    /// <summary>The forward's timeout, counted from when it was sent (<see cref="QueueSimOptions.ForwardTimeoutMs"/>).</summary>
    private async Task<TReply> TimeoutAsync<TReply>(string to, long sentAt)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, sentAt + sim.Options.ForwardTimeoutMs - sim.NowMs)), sim.Time);
        if (!SenderAlive)
        {
            throw new SimCrashedException();
        }

        throw new QueuePeerUnreachableException(to, "timed out", mayHaveReached: true);
    }
}
