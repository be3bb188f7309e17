using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>How Raft messages and forwarded proposals reach the other nodes.</summary>
public interface IRaftTransport
{
    /// <summary>Queues messages for their peers and returns at once: a slow or dead peer never blocks the loop.
    /// Messages may be lost; Raft retries what matters.</summary>
    void Send(IReadOnlyList<Message> messages);

    /// <summary>
    /// Raised (on a transport thread) when the connection to a peer failed: what was sent on it may or may not
    /// have arrived. Raised after <see cref="Undelivered"/> for the messages it dropped unsent.
    /// </summary>
    event Action<string>? PeerUnreachable;

    /// <summary>Raised for each <see cref="MessageType.Forward"/> message dropped before it was written to its peer.</summary>
    event Action<Message>? Undelivered;

    /// <summary>
    /// Raised (on a transport thread) by a transport that streams an InstallSnapshot in pieces, when the last piece is
    /// written or the stream broke first, so the leader waits for the follower's answer rather than resending a
    /// snapshot still on its way (etcd raft: ReportSnapshot). A transport that sends a snapshot whole need not raise
    /// it: the core then resends after an election timeout without an answer.
    /// </summary>
    event Action<SnapshotReport>? SnapshotSent
    {
        add { }
        remove { }
    }
}
