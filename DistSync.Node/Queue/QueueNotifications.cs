using System.Collections.Concurrent;
using StackExchange.Redis;

namespace DistSync.Node.Queue;

/// <summary>
/// Wakes long-polling consumers: an owner publishes on a topic's channel when one of its partitions goes from empty
/// to not empty, and every node, subscribed to all topics' channels, completes that topic's current signal. A
/// consumer takes the signal before it looks for messages, so a message that arrives between its look and its wait
/// still wakes it.
/// </summary>
public sealed class QueueNotifications(IQueueStore store, ILogger<QueueNotifications> logger) : IHostedService
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new(StringComparer.Ordinal);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.SubscribeAsync(Notify);
        }
        catch (RedisException ex)
        {
            // The multiplexer resubscribes when Redis comes back; until then consumers fall back to re-checking.
            logger.LogWarning("Queue notifications not subscribed yet: {Reason}", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The topic's current signal: it completes at the next notification for the topic.</summary>
    public Task Signal(string topic) => _signals.GetOrAdd(topic, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Notify(string topic)
    {
        if (_signals.TryRemove(topic, out var signal))
        {
            signal.TrySetResult();
        }
    }
}
