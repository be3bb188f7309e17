using DistSync.Node.Queue;
using StackExchange.Redis;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>
/// One node incarnation's way to the simulated Redis (<see cref="QueueStoreModel"/>): a command travels a seeded delay,
/// may fail before it is sent (a connection error: nothing ran), runs atomically, and its answer travels back, or is lost
/// after the command ran (a timeout, told after <see cref="QueueSimOptions.StoreTimeoutMs"/>: it may have been applied). A crashed incarnation's commands never arrive.
/// Notifications are Redis pub/sub: at most once, to every node subscribed when they are sent.
/// </summary>
internal sealed class SimQueueStore(QueueSimulation sim, QueueSimNode node, int incarnation) : IQueueStore
{
    private bool Alive => node.Alive && node.Incarnation == incarnation;

    /// <summary>The simulated store never goes back to an older state.</summary>
    public event Action? Reset
    {
        add { }
        remove { }
    }

    public Task<PublishResult> PublishAsync(string topic, int partition, long epoch, IReadOnlyList<OutgoingMessage> messages, long dedupWindowMs) =>
        RunAsync(now => sim.Store.Publish(topic, partition, epoch, messages, dedupWindowMs, now));

    public Task<ConsumeResult> ConsumeAsync(string topic, int partition, long epoch, long visibilityMs, int max, string requestKey = "", long windowMs = 0, bool recallOnly = false) =>
        RunAsync(now => sim.Store.Consume(topic, partition, epoch, visibilityMs, max, requestKey, windowMs, recallOnly, now));

    public Task<ChangeResult> AckAsync(string topic, int partition, long epoch, string id, long? delivery, string requestKey = "", long windowMs = 0) =>
        RunAsync(now => sim.Store.Ack(topic, partition, epoch, id, delivery, requestKey, windowMs, now));

    public Task<ChangeResult> ReleaseAsync(string topic, int partition, long epoch, string id, long receipt) =>
        RunAsync(now => sim.Store.Release(topic, partition, epoch, id, receipt, now));

    public Task<ChangeResult> NackAsync(string topic, int partition, long epoch, string id, long delayMs, int maxDeliveries, long? delivery) =>
        RunAsync(now => sim.Store.Nack(topic, partition, epoch, id, delayMs, maxDeliveries, delivery, now));

    public Task<ChangeResult> ExtendAsync(string topic, int partition, long epoch, string id, long visibilityMs, long? delivery) =>
        RunAsync(now => sim.Store.Extend(topic, partition, epoch, id, visibilityMs, delivery, now));

    public Task<RequeueResult> RequeueDueAsync(string topic, int partition, long epoch, int maxDeliveries, int limit, long dedupWindowMs) =>
        RunAsync(now => sim.Store.RequeueDue(topic, partition, epoch, maxDeliveries, limit, dedupWindowMs, now));

    public Task<RedriveResult> RedriveAsync(string topic, int partition, long epoch, int limit) =>
        RunAsync(now => sim.Store.Redrive(topic, partition, epoch, limit, now));

    public Task<PartitionStats> StatsAsync(string topic, int partition) =>
        RunAsync(_ => sim.Store.Stats(topic, partition));

    public Task<(long Count, IReadOnlyList<StoredMessage> Messages)> DeadLettersAsync(string topic, int partition, int limit) =>
        RunAsync(_ => sim.Store.DeadLetters(topic, partition, limit));

    public Task NotifyAsync(string topic)
    {
        if (Alive)
        {
            sim.Publish(topic);
        }

        return Task.CompletedTask;
    }

    public Task SubscribeAsync(Action<string> notified)
    {
        sim.Subscribe(node, incarnation, notified);
        return Task.CompletedTask;
    }

    private async Task<T> RunAsync<T>(Func<long, T> script)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(sim.Random.Next(sim.Options.MaxStoreDelayMs + 1)), sim.Time);
        if (!Alive)
        {
            throw new SimCrashedException();
        }

        if (sim.Random.NextDouble() < sim.StoreErrorRate)
        {
            throw new RedisConnectionException(ConnectionFailureType.SocketFailure, "simulated: the command was not sent");
        }

        var result = sim.RunScript(node, script);
        await Task.Delay(TimeSpan.FromMilliseconds(sim.Random.Next(sim.Options.MaxStoreDelayMs + 1)), sim.Time);
        if (Alive && sim.Random.NextDouble() < sim.StoreErrorRate)
        {
            // Told only when the client's timeout ends: the answers of calls sent with it have all come by then.
            await Task.Delay(TimeSpan.FromMilliseconds(sim.Options.StoreTimeoutMs), sim.Time);
            throw Alive ? new RedisTimeoutException("simulated: the command ran but its answer was lost", CommandStatus.Sent) : new SimCrashedException();
        }

        return Alive ? result : throw new SimCrashedException();
    }
}
