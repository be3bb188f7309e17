namespace DistSync.Raft;

/// <summary>
/// One Raft message between peers. Fields mean what they mean in etcd raft's <c>raftpb.Message</c>:
/// for Append, <see cref="Index"/>/<see cref="LogTerm"/> name the entry before <see cref="Entries"/>;
/// for responses, <see cref="Index"/> is the follower's last matching index.
/// </summary>
public sealed record Message
{
    public MessageType Type { get; init; }
    public string From { get; init; } = "";
    public string To { get; init; } = "";
    public long Term { get; init; }
    public long LogTerm { get; init; }
    public long Index { get; init; }
    public IReadOnlyList<Entry> Entries { get; init; } = [];
    public long Commit { get; init; }
    public bool Reject { get; init; }
    public long RejectHint { get; init; }
    public Snapshot? Snapshot { get; init; }

    /// <summary>Heartbeat round id for ReadIndex, the request id on ReadIndex messages, or <see cref="TransferContext"/> on votes.</summary>
    public long Context { get; init; }

    /// <summary>Marks a (pre)vote caused by leadership transfer, which followers grant even inside a leader lease.</summary>
    public const long TransferContext = 1;
}
