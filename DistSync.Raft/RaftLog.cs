namespace DistSync.Raft;

/// <summary>
/// The log as the core sees it: the latest snapshot plus every entry after it, all in memory, and the
/// marks that say what is committed, applied and already persisted by the host.
/// </summary>
internal sealed class RaftLog
{
    private readonly List<Entry> _entries = [];
    private long _snapshotIndex;
    private long _snapshotTerm;

    public Snapshot? Snapshot { get; private set; }

    /// <summary>A snapshot received from the leader that the host has not yet persisted and applied.</summary>
    public Snapshot? PendingSnapshot { get; private set; }

    public long Committed { get; private set; }

    public long Applied { get; private set; }

    /// <summary>Highest index the host has persisted; entries after it go into the next Ready.</summary>
    public long Stable { get; private set; }

    /// <summary>Last index handed to the host for writing; between <see cref="Stable"/> and here a write is in flight.</summary>
    public long InProgress { get; private set; }

    public long SnapshotIndex => _snapshotIndex;

    public long FirstIndex => _snapshotIndex + 1;

    public long LastIndex => _snapshotIndex + _entries.Count;

    public int Count => _entries.Count;

    public long LastTerm => _entries.Count == 0 ? _snapshotTerm : _entries[^1].Term;

    /// <summary>Loads what the host persisted: everything restored counts as stable.</summary>
    public void Restore(PersistedState state)
    {
        if (state.Snapshot is { } snapshot)
        {
            Snapshot = snapshot;
            _snapshotIndex = snapshot.Metadata.Index;
            _snapshotTerm = snapshot.Metadata.Term;
        }

        foreach (var entry in state.Entries)
        {
            if (entry.Index <= _snapshotIndex)
            {
                continue;
            }

            if (entry.Index != LastIndex + 1 || entry.Term < LastTerm)
            {
                throw new InvalidOperationException($"Persisted entry {entry.Index} (term {entry.Term}) does not follow index {LastIndex} (term {LastTerm}).");
            }

            _entries.Add(entry);
        }

        var commit = Math.Max(state.HardState.Commit, _snapshotIndex);
        if (commit > LastIndex)
        {
            throw new InvalidOperationException($"Persisted commit {commit} is past the last persisted index {LastIndex}.");
        }

        Committed = commit;
        Applied = _snapshotIndex;
        Stable = InProgress = LastIndex;
    }

    public bool TryTerm(long index, out long term)
    {
        if (index == _snapshotIndex)
        {
            term = _snapshotTerm;
            return true;
        }

        if (index < _snapshotIndex || index > LastIndex)
        {
            term = 0;
            return false;
        }

        term = _entries[(int)(index - _snapshotIndex - 1)].Term;
        return true;
    }

    public bool MatchTerm(long index, long term) => TryTerm(index, out var t) && t == term;

    public Entry At(long index)
    {
        if (index <= _snapshotIndex || index > LastIndex)
        {
            throw new InvalidOperationException($"Entry {index} is outside [{FirstIndex}, {LastIndex}].");
        }

        return _entries[(int)(index - _snapshotIndex - 1)];
    }

    /// <summary>Raft §5.4.1: a candidate's log is at least as up to date as ours.</summary>
    public bool IsUpToDate(long lastIndex, long lastTerm) =>
        lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    /// <summary>The leader appends its own entry.</summary>
    public void Append(Entry entry)
    {
        if (entry.Index != LastIndex + 1 || entry.Term < LastTerm)
        {
            throw new InvalidOperationException($"Append of entry {entry.Index} (term {entry.Term}) after {LastIndex} (term {LastTerm}).");
        }

        _entries.Add(entry);
    }

    /// <summary>
    /// Raft §5.3 receiver rules: if the entry at <paramref name="prevIndex"/> has <paramref name="prevTerm"/>,
    /// delete conflicting entries, append the new ones, advance commit, and return the last new index; else -1.
    /// </summary>
    public long MaybeAppend(long prevIndex, long prevTerm, long commit, IReadOnlyList<Entry> entries)
    {
        if (!MatchTerm(prevIndex, prevTerm))
        {
            return -1;
        }

        var lastNew = prevIndex + entries.Count;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != prevIndex + 1 + i)
            {
                throw new InvalidOperationException($"Append entries are not contiguous after {prevIndex}.");
            }

            if (entry.Index <= _snapshotIndex)
            {
                continue;
            }

            if (entry.Index <= LastIndex)
            {
                if (At(entry.Index).Term == entry.Term)
                {
                    continue;
                }

                if (entry.Index <= Committed)
                {
                    throw new InvalidOperationException($"Conflict at committed index {entry.Index}.");
                }

                TruncateFrom(entry.Index);
            }

            _entries.Add(entry);
        }

        CommitTo(Math.Min(commit, lastNew));
        return lastNew;
    }

    private void TruncateFrom(long index)
    {
        var keep = (int)(index - _snapshotIndex - 1);
        _entries.RemoveRange(keep, _entries.Count - keep);
        Stable = Math.Min(Stable, index - 1);
        InProgress = Math.Min(InProgress, index - 1);
    }

    public void CommitTo(long commit)
    {
        if (commit <= Committed)
        {
            return;
        }

        if (commit > LastIndex)
        {
            throw new InvalidOperationException($"Commit {commit} is past the last index {LastIndex}.");
        }

        Committed = commit;
    }

    /// <summary>
    /// Entries from <paramref name="from"/> on, at most <paramref name="maxCount"/> and about <paramref name="maxBytes"/>
    /// of payload (at least one). Null when <paramref name="from"/> is already compacted.
    /// </summary>
    public Entry[]? Slice(long from, int maxCount, long maxBytes)
    {
        if (from <= _snapshotIndex)
        {
            return null;
        }

        var available = LastIndex - from + 1;
        if (available <= 0)
        {
            return [];
        }

        var offset = (int)(from - _snapshotIndex - 1);
        var count = (int)Math.Min(available, maxCount);
        long bytes = 0;
        for (var i = 0; i < count; i++)
        {
            bytes += _entries[offset + i].Data.Length;
            if (bytes > maxBytes && i > 0)
            {
                count = i;
                break;
            }
        }

        var slice = new Entry[count];
        _entries.CopyTo(offset, slice, 0, count);
        return slice;
    }

    /// <summary>
    /// The largest index at or below <paramref name="index"/> whose term is at most <paramref name="term"/>
    /// (etcd raft: raftLog.findConflictByTerm), so a rejection can skip a whole divergent term.
    /// </summary>
    public long FindConflictByTerm(long index, long term, out long foundTerm)
    {
        index = Math.Min(index, LastIndex);
        for (var i = index; i >= _snapshotIndex; i--)
        {
            if (!TryTerm(i, out var t))
            {
                break;
            }

            if (t <= term)
            {
                foundTerm = t;
                return i;
            }
        }

        foundTerm = 0;
        return Math.Min(index, _snapshotIndex);
    }

    /// <summary>The follower replaces its log by the leader's snapshot (Raft §7).</summary>
    public void RestoreSnapshot(Snapshot snapshot)
    {
        _entries.Clear();
        Snapshot = snapshot;
        PendingSnapshot = snapshot;
        _snapshotIndex = snapshot.Metadata.Index;
        _snapshotTerm = snapshot.Metadata.Term;
        Committed = _snapshotIndex;
        Stable = InProgress = _snapshotIndex;
    }

    /// <summary>The host snapshotted its state machine at <paramref name="index"/>: drop the entries it covers.</summary>
    public void Compact(long index, Snapshot snapshot)
    {
        var drop = (int)(index - _snapshotIndex);
        _entries.RemoveRange(0, drop);
        Snapshot = snapshot;
        _snapshotIndex = index;
        _snapshotTerm = snapshot.Metadata.Term;
        Stable = Math.Max(Stable, index);
        InProgress = Math.Max(InProgress, index);
    }

    /// <summary>Entries past <see cref="InProgress"/>: not yet handed to the host to write.</summary>
    public bool HasUnstable => LastIndex > InProgress;

    public Entry[] UnstableEntries()
    {
        var from = Math.Max(InProgress + 1, FirstIndex);
        if (from > LastIndex)
        {
            return [];
        }

        var offset = (int)(from - _snapshotIndex - 1);
        var slice = new Entry[_entries.Count - offset];
        _entries.CopyTo(offset, slice, 0, slice.Length);
        return slice;
    }

    /// <summary>The host persisted up to <paramref name="index"/>; ignored when the entry was overwritten since.</summary>
    public void StableTo(long index, long term)
    {
        if (index > Stable && MatchTerm(index, term))
        {
            Stable = index;
            InProgress = Math.Max(InProgress, index);
        }
    }

    /// <summary>The host took the entries up to <paramref name="index"/> to write (they are not on disk yet).</summary>
    public void InProgressTo(long index) => InProgress = Math.Max(InProgress, Math.Min(index, LastIndex));

    public bool HasCommittedToApply => PendingSnapshot is null && Committed > Applied;

    public Entry[] CommittedToApply(int maxCount)
    {
        if (!HasCommittedToApply)
        {
            return [];
        }

        var from = Math.Max(Applied + 1, FirstIndex);
        var count = (int)Math.Min(Committed - from + 1, maxCount);
        var slice = new Entry[count];
        _entries.CopyTo((int)(from - _snapshotIndex - 1), slice, 0, count);
        return slice;
    }

    public void AppliedTo(long index)
    {
        if (index > Committed)
        {
            throw new InvalidOperationException($"Applied {index} is past commit {Committed}.");
        }

        Applied = Math.Max(Applied, index);
    }

    public void SnapshotApplied(Snapshot snapshot)
    {
        if (ReferenceEquals(PendingSnapshot, snapshot))
        {
            PendingSnapshot = null;
        }

        Applied = Math.Max(Applied, snapshot.Metadata.Index);
    }
}
