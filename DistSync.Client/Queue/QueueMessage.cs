namespace DistSync.Client;

/// <summary>
/// One delivery of a message. Ack it when done, or nack it to have it back (now or after a delay); until then it is hidden
/// from other consumers until <see cref="VisibleUntil"/>, which <see cref="ExtendAsync"/> pushes back. A delivery that
/// is neither comes back by itself, and after the topic's max deliveries it is dead-lettered.
/// </summary>
public sealed class QueueMessage<T>
{
    private readonly DistSyncQueue _queue;

    internal QueueMessage(DistSyncQueue queue, string topic, string id, int partition, T payload, string? key, int deliveryCount, string receipt,
        DateTimeOffset visibleUntil)
    {
        _queue = queue;
        Topic = topic;
        Id = id;
        Partition = partition;
        Payload = payload;
        Key = key;
        DeliveryCount = deliveryCount;
        Receipt = receipt;
        VisibleUntil = visibleUntil;
    }

    public string Topic { get; }

    public string Id { get; }

    public int Partition { get; }

    public T Payload { get; }

    public string? Key { get; }

    /// <summary>1 for the first delivery; more when earlier deliveries were nacked or ran out of time.</summary>
    public int DeliveryCount { get; }

    /// <summary>Names this delivery: an ack, nack or extend with it acts on this delivery only.</summary>
    public string Receipt { get; }

    /// <summary>When the message becomes visible to others again, on this client's clock (counted from when the consume was sent).</summary>
    public DateTimeOffset VisibleUntil { get; private set; }

    /// <summary>Done with it: it is never delivered again. Acks are sent in batches when many are pending.</summary>
    public Task AckAsync(CancellationToken cancellationToken = default) => _queue.AckAsync(this, cancellationToken);

    /// <summary>Back in the queue now, or after <paramref name="delay"/>; dead-lettered if it has used its deliveries.</summary>
    public Task NackAsync(TimeSpan? delay = null, CancellationToken cancellationToken = default) => _queue.NackAsync(this, delay, cancellationToken);

    /// <summary>Keeps it hidden for <paramref name="visibility"/> more from now (default: the consumer's visibility timeout).</summary>
    public async Task ExtendAsync(TimeSpan? visibility = null, CancellationToken cancellationToken = default) =>
        VisibleUntil = await _queue.ExtendAsync(this, visibility, cancellationToken).ConfigureAwait(false);
}
