namespace DistSync.Client;

/// <summary>
/// Handles one message for a hosted consumer (<c>AddDistSyncConsumer</c>): return and the message is acked; throw and it
/// is nacked, to come back (and be dead-lettered after the topic's max deliveries). Resolved in a scope per message.
/// </summary>
public interface IQueueHandler<T>
{
    Task HandleAsync(QueueMessage<T> message, CancellationToken cancellationToken);
}
