namespace DistSync.Raft;

/// <summary>Why a proposal was or was not appended.</summary>
public enum ProposeStatus
{
    /// <summary>Appended to the leader's log at <see cref="ProposeResult.Index"/>; it commits unless leadership is lost first.</summary>
    Accepted,

    /// <summary>This node is not the leader; <see cref="ProposeResult.LeaderHint"/> names the leader when known.</summary>
    NotLeader,

    /// <summary>The leader is handing over leadership and takes no proposals until that ends.</summary>
    TransferInProgress,

    /// <summary>The command is larger than <see cref="RaftOptions.MaxBytesPerAppend"/>.</summary>
    TooLarge,

    /// <summary>Too many entries await commit (<see cref="RaftOptions.MaxUncommittedEntries"/>); retry later.</summary>
    Overloaded,

    /// <summary>A configuration change that cannot be made now or at all; <see cref="ProposeResult.Refusal"/> says why (an API's 409).</summary>
    ConfigChangeRefused,
}

/// <summary>The outcome of <see cref="RaftNode.Propose"/>. An accepted entry is applied when it shows up in a Ready's committed entries with the same index and term.</summary>
public readonly record struct ProposeResult(
    ProposeStatus Status,
    long Index,
    long Term,
    string? LeaderHint,
    ConfigChangeRefusal Refusal = ConfigChangeRefusal.None,
    string? Reason = null)
{
    public bool IsAccepted => Status == ProposeStatus.Accepted;

    public static ProposeResult Accepted(long index, long term) => new(ProposeStatus.Accepted, index, term, null);

    public static ProposeResult NotLeader(string? leaderHint) => new(ProposeStatus.NotLeader, 0, 0, leaderHint);

    public static ProposeResult TransferInProgress(string? leaderHint) => new(ProposeStatus.TransferInProgress, 0, 0, leaderHint);

    public static ProposeResult TooLarge() => new(ProposeStatus.TooLarge, 0, 0, null);

    public static ProposeResult Overloaded(string? leaderHint) => new(ProposeStatus.Overloaded, 0, 0, leaderHint);

    public static ProposeResult ConfigChangeRefused(string leader, ConfigChangeRefusal refusal, string reason) =>
        new(ProposeStatus.ConfigChangeRefused, 0, 0, leader, refusal, reason);
}
