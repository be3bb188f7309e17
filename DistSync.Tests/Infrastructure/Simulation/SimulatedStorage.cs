using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// A node's disk as the simulator models it: exactly what Ready said to persist (and the snapshots the host took),
/// nothing more. A crash keeps this and loses everything else.
/// </summary>
internal sealed class SimulatedStorage
{
    private readonly List<Entry> _wal = [];

    public HardState HardState { get; private set; } = HardState.Initial;

    public Snapshot? Snapshot { get; private set; }

    public int WalCount => _wal.Count;

    /// <summary>Applies a Ready's persistence part in the order the Ready contract gives.</summary>
    public void Persist(Ready ready)
    {
        if (ready.SnapshotToPersist is { } snapshot)
        {
            Snapshot = snapshot;
            _wal.Clear();
        }

        if (ready.EntriesToPersist.Count > 0)
        {
            var first = ready.EntriesToPersist[0].Index;
            var keep = _wal.FindIndex(e => e.Index >= first);
            if (keep >= 0)
            {
                _wal.RemoveRange(keep, _wal.Count - keep);
            }

            var expected = _wal.Count > 0 ? _wal[^1].Index + 1 : (Snapshot?.Metadata.Index ?? 0) + 1;
            if (first > expected)
            {
                throw new InvalidOperationException($"Ready entries start at {first} but the log on disk ends at {expected - 1}.");
            }

            _wal.AddRange(ready.EntriesToPersist);
        }

        if (ready.HardState is { } hardState)
        {
            // As RaftStorage refuses it: a hard state written out of order would show as term or commit going back.
            if (hardState.Term < HardState.Term || hardState.Commit < HardState.Commit)
            {
                throw new InvalidOperationException($"hard state went backwards: {HardState} → {hardState}");
            }

            HardState = hardState;
        }
    }

    /// <summary>The host saved a snapshot it took and may drop the entries it covers.</summary>
    public void SaveSnapshot(Snapshot snapshot)
    {
        Snapshot = snapshot;
        var drop = _wal.FindIndex(e => e.Index > snapshot.Metadata.Index);
        _wal.RemoveRange(0, drop < 0 ? _wal.Count : drop);
    }

    public PersistedState Load() => new(HardState, Snapshot, [.. _wal]);
}
