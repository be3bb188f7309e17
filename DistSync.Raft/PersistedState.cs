namespace DistSync.Raft;

/// <summary>
/// What the host loaded from disk on restart: the last hard state, the latest snapshot (if any) and every
/// log entry after it, in index order.
/// </summary>
public sealed record PersistedState(HardState HardState, Snapshot? Snapshot, IReadOnlyList<Entry> Entries);
