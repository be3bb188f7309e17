namespace DistSync.Node.Consensus;

/// <summary>How Raft messages and forwarded proposals reach the other nodes.</summary>
public interface IRaftTransport
{
    /// <summary>Queues messages for their peers and returns at once: a slow or dead peer never blocks the loop.
    /// Messages may be lost; Raft retries what matters.</summary>
    void Send(IReadOnlyList<Message> messages);

    /// <summary>Raised (on a transport thread) when messages to a peer could not be delivered.</summary>
    event Action<string>? PeerUnreachable;

    /// <summary>Asks <paramref name="leaderId"/> to append a command a client gave this node.</summary>
    Task<ProposeResult> ForwardProposalAsync(string leaderId, byte[] envelope, CancellationToken cancellationToken);
}
