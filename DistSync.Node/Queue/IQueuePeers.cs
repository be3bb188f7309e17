namespace DistSync.Node.Queue;

/// <summary>
/// How a node reaches a partition's owner on another node. Throws <see cref="QueuePeerUnreachableException"/> when the
/// owner does not answer (saying whether the request may have reached it), and <see cref="QueueUnavailableException"/>
/// when it answered that its store failed under the request.
/// </summary>
public interface IQueuePeers
{
    Task<OwnerReply<IReadOnlyList<ForwardedPublished>>> PublishAsync(string owner, ForwardPublish request, CancellationToken cancellationToken);

    Task<OwnerReply<IReadOnlyList<ForwardedDelivery>>> ConsumeAsync(string owner, ForwardConsume request, CancellationToken cancellationToken);

    Task<OwnerReply<ForwardedChange>> ChangeAsync(string owner, ForwardChange request, CancellationToken cancellationToken);
}
