using DistSync.Raft;

namespace DistSync.Node.Storage;

/// <summary>
/// What a node restarts from: the last hard state, the newest snapshot and the log entries after it
/// (contiguous from <c>Snapshot.Metadata.Index + 1</c>, or from 1 without a snapshot), plus what load repaired.
/// Maps one-to-one onto the consensus core's <c>PersistedState</c>.
/// </summary>
public sealed record WalLoadResult(
    HardState HardState,
    Snapshot? Snapshot,
    IReadOnlyList<Entry> Entries,
    WalRecoveryReport Recovery);
