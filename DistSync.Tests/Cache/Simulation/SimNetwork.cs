using DistSync.Node.Cache;
using DistSync.Tests.Infrastructure.Simulation;
using StackExchange.Redis;

namespace DistSync.Tests.Cache.Simulation;

/// <summary>
/// The links between simulated nodes: each message is delayed by a seeded random amount, sometimes lost, and never
/// delivered across a partition or to a crashed node (the sender then waits for its own timeout, as over TCP). A
/// message to a node that is down at send time is refused at once, like a connection refused.
/// </summary>
internal sealed class SimNetwork(CacheSimulation sim)
{
    public ICachePeers From(SimNode sender, int incarnation) => new Peers(this, sender, incarnation);

    private async Task<T> SendAsync<T>(SimNode sender, int incarnation, string to, Func<SimNode, Task<T>> deliver, CancellationToken cancellationToken)
    {
        var target = sim.Node(to);
        if (!target.Alive)
        {
            throw new CachePeerUnreachableException(to, "connection refused", false);
        }

        var targetIncarnation = target.Incarnation;
        await Task.Delay(TimeSpan.FromMilliseconds(sim.Random.Next(sim.Options.MaxDelayMs + 1)), sim.Time, cancellationToken);
        if (!Delivers(sender, incarnation, target, targetIncarnation))
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, sim.Time, cancellationToken);
        }

        T reply;
        try
        {
            reply = await deliver(target);
        }
        catch (SimCrashedException)
        {
            // The target crashed while handling it: no answer comes.
            await Task.Delay(Timeout.InfiniteTimeSpan, sim.Time, cancellationToken);
            throw;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The target's Redis failed mid-request: over HTTP that is a 500, which the sender sees as "maybe applied".
            throw new CachePeerUnreachableException(to, ex.Message, maybeDelivered: true);
        }
        await Task.Delay(TimeSpan.FromMilliseconds(sim.Random.Next(sim.Options.MaxDelayMs + 1)), sim.Time, cancellationToken);
        if (!Delivers(target, targetIncarnation, sender, incarnation))
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, sim.Time, cancellationToken);
        }

        return reply;
    }

    private bool Delivers(SimNode from, int fromIncarnation, SimNode to, int toIncarnation) =>
        from.Alive && from.Incarnation == fromIncarnation && to.Alive && to.Incarnation == toIncarnation
        && !sim.Partitioned(from.Id, to.Id) && sim.Random.NextDouble() >= sim.Options.LossRate;

    private sealed class Peers(SimNetwork network, SimNode sender, int incarnation) : ICachePeers
    {
        public Task<HomeReply> AskHomeAsync(string home, HomeRequest request, CancellationToken cancellationToken) =>
            network.SendAsync(sender, incarnation, home, target => target.Home!.HandleAsync(request, CancellationToken.None), cancellationToken);

        public Task<RevokeReply> RevokeAsync(string holder, RevokeRequest request, CancellationToken cancellationToken) =>
            network.SendAsync(sender, incarnation, holder, target => target.Cache!.RevokeAsync(request, CancellationToken.None), cancellationToken);
    }
}
