using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// The leader times stamped on the entries this node's log holds beyond its applied index: with the applied clock, what
/// a node that becomes leader starts its clock from. Pure bookkeeping, fed in log order by the host's loop.
/// </summary>
/// <remarks>
/// Why only the entries the log still holds, not the newest stamp ever seen: a deposed leader that has not heard of its
/// successor keeps stamping entries until check-quorum stops it, and its clock did not stand still while the others
/// elected. Such an entry can reach this log and then be overwritten by the new leader's. Starting from its stamp would put
/// the cluster clock ahead of the committed stamps by up to an election, and so end leases and sessions that much early.
/// An entry that stays in the log of a node elected leader is one the new term keeps, so its stamp is part of the clock.
/// </remarks>
public sealed class LoggedStamps
{
    /// <summary>(index, stamp) of stamped entries above <see cref="_appliedIndex"/>, in index order.</summary>
    private readonly List<(long Index, long StampMs)> _unapplied = [];

    private long _appliedIndex;

    /// <summary>The newest stamp among the unapplied entries, or null when none carries one.</summary>
    public long? NewestUnappliedMs
    {
        get
        {
            long? newest = null;
            foreach (var (_, stamp) in _unapplied)
            {
                newest = Math.Max(newest ?? stamp, stamp);
            }

            return newest;
        }
    }

    /// <summary>The entries were written to the log; they replace whatever it held from the first one's index on.</summary>
    public void Logged(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var from = entries[0].Index;
        var keep = _unapplied.Count;
        while (keep > 0 && _unapplied[keep - 1].Index >= from)
        {
            keep--;
        }

        _unapplied.RemoveRange(keep, _unapplied.Count - keep);
        foreach (var entry in entries)
        {
            if (entry.Index > _appliedIndex && entry.Type == EntryType.Command && CommandEnvelope.LeaderTimeOf(entry.Data) is { } stamp)
            {
                _unapplied.Add((entry.Index, stamp));
            }
        }
    }

    /// <summary>Entries up to <paramref name="index"/> were applied: their stamps are in the applied clock now.</summary>
    public void Applied(long index)
    {
        _appliedIndex = Math.Max(_appliedIndex, index);
        var drop = 0;
        while (drop < _unapplied.Count && _unapplied[drop].Index <= _appliedIndex)
        {
            drop++;
        }

        _unapplied.RemoveRange(0, drop);
    }

    /// <summary>A snapshot up to <paramref name="index"/> replaced the state (and, when installed from a leader, the log).</summary>
    public void Restored(long index)
    {
        _unapplied.Clear();
        _appliedIndex = index;
    }
}
