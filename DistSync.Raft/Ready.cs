namespace DistSync.Raft;

/// <summary>
/// Work the host must do, in this order (etcd raft's contract):
/// <list type="number">
/// <item>Persist durably (fsync): <see cref="SnapshotToPersist"/> first (replace the snapshot and drop every
/// log entry on disk), then <see cref="EntriesToPersist"/> (when the first one's index is at or below the last
/// index on disk, first truncate the log from that index: it is a conflict overwrite), then <see cref="HardState"/>.</item>
/// <item>Only then send <see cref="Messages"/> (they may acknowledge or vote on the strength of that state).</item>
/// <item>Restore the state machine from <see cref="SnapshotToPersist"/>, then apply <see cref="CommittedEntries"/> in order;
/// answer <see cref="ReadStates"/> once applied reaches their index.</item>
/// <item>Call <see cref="RaftNode.Advance"/> with this Ready before asking for the next one.</item>
/// </list>
/// A host may instead write on another thread (etcd raft's asynchronous storage writes): it sends the messages
/// that rely on the write only after it, applies the committed entries at once (a quorum holds them), calls
/// <c>Advance(ready, persisted: false)</c>, and reports the write with <see cref="RaftNode.MarkPersisted"/>.
/// </summary>
public sealed class Ready
{
    /// <summary>Role or leader changed since the last Ready; no persistence needed.</summary>
    public SoftState? SoftState { get; init; }

    /// <summary>
    /// Term, vote or commit changed: must be on disk before <see cref="Messages"/> are sent. A change of the commit
    /// index alone may wait (Raft keeps it in volatile state); our host writes it with the next durable write.
    /// </summary>
    public HardState? HardState { get; init; }

    /// <summary>New or overwritten log entries: must be on disk before <see cref="Messages"/> are sent.</summary>
    public IReadOnlyList<Entry> EntriesToPersist { get; init; } = [];

    /// <summary>A snapshot received from the leader: save it (dropping older log entries), then restore the state machine from it.</summary>
    public Snapshot? SnapshotToPersist { get; init; }

    /// <summary>Messages to send after persisting.</summary>
    public IReadOnlyList<Message> Messages { get; init; } = [];

    /// <summary>Entries known committed, to apply in order (after persisting).</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; init; } = [];

    /// <summary>Answers to ReadIndex requests (successful or failed).</summary>
    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>True when this Ready changes the term or the vote from <paramref name="written"/>: that must be on disk first.</summary>
    public bool ChangesTermOrVote(HardState written) =>
        HardState is { } next && (next.Term != written.Term || next.VotedFor != written.VotedFor);

    /// <summary>
    /// True when the messages may leave before this Ready's writes are on disk: a leader's appends, term and vote
    /// unchanged (Raft thesis §10.2.1; the core counts the leader's own copy only once it is persisted).
    /// </summary>
    public bool MaySendBeforeWrite(RaftRole role, HardState written) => role == RaftRole.Leader && !ChangesTermOrVote(written);

    /// <summary>True when there is anything to persist (a host may let a change of the commit index alone wait; see <see cref="HardState"/>).</summary>
    public bool MustSync => HardState is not null || EntriesToPersist.Count > 0 || SnapshotToPersist is not null;
}
