namespace DistSync.Raft;

/// <summary>The kinds of message Raft peers exchange. Values are part of the wire format: never renumber.</summary>
public enum MessageType : byte
{
    PreVote = 1,
    PreVoteResponse = 2,
    Vote = 3,
    VoteResponse = 4,
    Append = 5,
    AppendResponse = 6,
    Heartbeat = 7,
    HeartbeatResponse = 8,

    /// <summary>The leader's snapshot for a follower that needs compacted entries; answered by <see cref="AppendResponse"/>.</summary>
    InstallSnapshot = 9,

    /// <summary>Sent by a leader to a caught-up transfer target: campaign now (thesis §3.10).</summary>
    TimeoutNow = 10,

    /// <summary>A follower forwards a linearizable read to the leader; <see cref="Message.Context"/> is the follower's request id.</summary>
    ReadIndex = 11,

    /// <summary>The leader's answer to <see cref="ReadIndex"/>: the read index, or <see cref="Message.Reject"/> when it cannot serve it.</summary>
    ReadIndexResponse = 12,

    /// <summary>A follower forwards a leadership-transfer request to the leader; <see cref="Message.Index"/> is unused.</summary>
    TransferLeader = 13,

    /// <summary>
    /// Not Raft: a follower hands a client's command to the leader over the same stream. <see cref="Message.Entries"/>
    /// holds the one command envelope and <see cref="Message.Context"/> its proposal id. The host handles it; the core never sees it.
    /// </summary>
    Forward = 14,

    /// <summary>
    /// Not Raft: the leader's answer to <see cref="Forward"/>, with the same <see cref="Message.Context"/>. Appended at
    /// <see cref="Message.Index"/>/<see cref="Message.Term"/>, or <see cref="Message.Reject"/> with the
    /// <see cref="ProposeStatus"/> in <see cref="Message.RejectHint"/>.
    /// </summary>
    ForwardAnswer = 15,
}
