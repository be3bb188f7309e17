using DistSync.Node.Consensus;
using DistSync.Node.Locks;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// One node of the lock simulation: its disk, its maybe-crashed Raft core and the real <see cref="LockTable"/> fed the
/// committed entries. A crash keeps only the disk.
/// As leader it stamps entries with leader time the way RaftHost does: from the newest stamp its log holds (the real
/// <see cref="LoggedStamps"/>) plus its own monotonic time since it became leader, which runs at
/// <see cref="DriftRate"/> times real time. Its snapshots carry the replicated clock beside the table, as the host's do.
/// </summary>
internal sealed class LockSimNode(string id, RaftOptions options, double driftRate) : SimulatedRaftHost(id, options)
{
    private readonly LoggedStamps _loggedStamps = new();

    /// <summary>This node's leader time for its term: <c>BaseMs</c> at real time <c>SinceMs</c>; null unless it leads.</summary>
    private (long Term, long BaseMs, long SinceMs)? _leading;

    /// <summary>How fast this node's monotonic clock runs against real time (the assumption: within 1 %).</summary>
    public double DriftRate { get; } = driftRate;

    /// <summary>The replicated clock as this node applied it.</summary>
    public long AppliedClockMs { get; private set; }

    /// <summary>Counts starts, so a client can tell that the node it waits on restarted and forgot its request.</summary>
    public int Incarnation { get; private set; }

    public LockTable Table { get; private set; } = new();

    /// <summary>The index of the last expiry this node proposed as leader, so it proposes one at a time.</summary>
    public long PendingExpiryIndex { get; set; }

    protected override void OnStarted(PersistedState persisted)
    {
        Incarnation++;
        PendingExpiryIndex = 0;
        _leading = null;
        if (persisted.Snapshot is { } snapshot)
        {
            RestoreFrom(snapshot);
        }
        else
        {
            Table = new LockTable();
            AppliedIndex = 0;
            AppliedClockMs = 0;
        }

        // A restarted host reads its stamps from the log it loaded, as RaftHost does.
        _loggedStamps.Restored(AppliedIndex);
        _loggedStamps.Logged(persisted.Entries);
    }

    /// <summary>A snapshot (taken here or installed from the leader) replaces the state; the log's stamps follow in <see cref="Logged"/>.</summary>
    public override void RestoreFrom(Snapshot snapshot)
    {
        var (clockMs, table) = SplitSnapshot(snapshot.Data);
        Table = LockTable.Restore(table);
        AppliedClockMs = clockMs;
        AppliedIndex = snapshot.Metadata.Index;
    }

    /// <summary>The state a snapshot keeps: the replicated clock (8 bytes) and the table.</summary>
    public override byte[] EncodeState() => [.. BitConverter.GetBytes(AppliedClockMs), .. Table.Serialize()];

    public static (long ClockMs, byte[] Table) SplitSnapshot(byte[] data) => (BitConverter.ToInt64(data, 0), data[8..]);

    /// <summary>The node took a Ready: its entries replace the log from their first index on (a snapshot in it, the whole log).</summary>
    public override void Logged(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (ready.SnapshotToPersist is { } snapshot)
        {
            _loggedStamps.Restored(snapshot.Metadata.Index);
        }

        _loggedStamps.Logged(ready.EntriesToPersist);
    }

    /// <summary>
    /// Applies one committed entry at the replicated clock (moved to its stamp, never back, as RaftHost does); an empty
    /// entry (a new leader's) only moves the applied index.
    /// </summary>
    public LockOutcome? Apply(Entry entry)
    {
        MarkApplied(entry);
        _loggedStamps.Applied(entry.Index);
        if (entry.Type != EntryType.Command)
        {
            return null;
        }

        var command = Command(entry.Data);
        AppliedClockMs = Math.Max(AppliedClockMs, command.NowMs);
        return Table.Apply(command with { NowMs = AppliedClockMs }, entry.Index);
    }

    /// <summary>
    /// Follows the Raft role: a node that has just become leader starts its leader time from the newest stamp its log
    /// holds (the applied clock, or an entry beyond it), as RaftHost does; one that no longer leads has none.
    /// </summary>
    public void FollowRole(long realMs)
    {
        if (Raft is not { Role: RaftRole.Leader } raft)
        {
            _leading = null;
        }
        else if (_leading?.Term != raft.Term)
        {
            var newest = Math.Max(AppliedClockMs, _loggedStamps.NewestUnappliedMs ?? 0);
            _leading = (raft.Term, newest > 0 ? newest : LockSimulation.StartMs, realMs);
        }
    }

    /// <summary>The time this node stamps on an entry it appends now (as leader): its base plus its own elapsed time.</summary>
    public long LeaderClockMs(long realMs)
    {
        FollowRole(realMs);
        return _leading is { } leading ? leading.BaseMs + (long)Math.Floor((realMs - leading.SinceMs) * DriftRate) : 0;
    }

    /// <summary>A command as the leader appends it: in the host's envelope, carrying the leader's time.</summary>
    public static byte[] Envelope(LockCommand command, long leaderTimeMs) =>
        CommandEnvelope.Stamp(CommandEnvelope.Encode(LockStateMachine.CommandTag, 0, LockCommandCodec.Encode(command)), leaderTimeMs);

    /// <summary>An entry's command with its leader's stamp as its time (applied at the replicated clock, which is at least that).</summary>
    public static LockCommand Command(byte[] data)
    {
        if (!CommandEnvelope.TryDecode(data, out _, out _, out var stamp, out var payload))
        {
            throw new InvalidOperationException("not a command envelope");
        }

        return LockCommandCodec.Decode(payload) with { NowMs = stamp ?? 0 };
    }
}
