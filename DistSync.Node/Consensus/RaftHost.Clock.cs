using System.Buffers.Binary;
using System.Diagnostics;

using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// Leader time: the one clock the state machines see. The leader stamps every entry it appends (its own proposals
/// and forwarded ones alike) with <c>base + its monotonic time elapsed since it became leader</c>, where <c>base</c>
/// is the newest stamp in its log. Applying an entry moves the replicated clock to its stamp, never back.
/// </summary>
/// <remarks>
/// Why this shape: wall clocks differ between nodes and jump; a lease counted on one node's wall clock ends early or
/// late by that node's offset. Elapsed monotonic time on one leader needs no agreement between clocks, only that the
/// leader's clock runs at about the rate of real time. Between leaders the clock stands still (the new leader starts
/// from the last stamp it holds), so a leader change gives every lease and wait at least the time it had left, as
/// etcd's lessor does on promotion. A cluster's first leader starts from its wall clock, which only makes the values
/// read like Unix milliseconds; nothing compares them with a wall clock.
/// </remarks>
public sealed partial class RaftHost
{
    /// <summary>The snapshot part that carries the replicated clock (machine tags start at 1).</summary>
    private const byte ClockSnapshotTag = 0;

    /// <summary>The newest leader time applied here (and so seen by the state machines).</summary>
    private long _appliedClockMs;

    /// <summary>When <see cref="_appliedClockMs"/> last moved, on this node's monotonic clock.</summary>
    private long _appliedClockMovedAt = Stopwatch.GetTimestamp();

    /// <summary>The stamps of the entries this node's log holds beyond what it applied.</summary>
    private readonly LoggedStamps _loggedStamps = new();

    private volatile LeaderTime? _leaderTime;

    /// <summary>The leader's clock for its current term: <see cref="BaseMs"/> at <see cref="Since"/> (a monotonic timestamp).</summary>
    private sealed record LeaderTime(long Term, long BaseMs, long Since)
    {
        public long NowMs => BaseMs + (long)Stopwatch.GetElapsedTime(Since).TotalMilliseconds;
    }

    /// <summary>The leader's clock now, on the leader only (null elsewhere): what the next entry it appends will carry.</summary>
    public long? LeaderClockMs => _leaderTime?.NowMs;

    /// <summary>
    /// This node's best reading of the replicated clock now: the leader's own clock on the leader; elsewhere the
    /// newest applied stamp plus the time since it was applied. For showing remaining durations, never for deciding.
    /// </summary>
    public long ClockNowMs => _leaderTime?.NowMs
        ?? Interlocked.Read(ref _appliedClockMs) + (long)Stopwatch.GetElapsedTime(Interlocked.Read(ref _appliedClockMovedAt)).TotalMilliseconds;

    /// <summary>The envelope as the leader appends it: stamped with its clock. Anywhere else the core refuses it anyway.</summary>
    private byte[] StampIfLeader(RaftNode raft, byte[] envelope)
    {
        if (raft.Role != RaftRole.Leader)
        {
            return envelope;
        }

        var leader = _leaderTime;
        if (leader is null || leader.Term != raft.Term)
        {
            // Became leader in this turn, before its Ready was processed.
            leader = StartLeaderTime(raft.Term);
        }

        return CommandEnvelope.Stamp(envelope, leader.NowMs);
    }

    private LeaderTime StartLeaderTime(long term)
    {
        // The newest stamp this log holds: the applied clock, or an entry beyond it (see LoggedStamps for why not more).
        var newest = Math.Max(Interlocked.Read(ref _appliedClockMs), _loggedStamps.NewestUnappliedMs ?? 0);
        var baseMs = newest > 0 ? newest : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var leader = new LeaderTime(term, baseMs, Stopwatch.GetTimestamp());
        _leaderTime = leader;
        return leader;
    }

    private void OnRoleForClock(SoftState soft)
    {
        if (soft.Role != RaftRole.Leader)
        {
            _leaderTime = null;
        }
        else if (_leaderTime?.Term != soft.Term)
        {
            StartLeaderTime(soft.Term);
        }
    }

    private void NoteLogged(IReadOnlyList<Entry> entries) => _loggedStamps.Logged(entries);

    /// <summary>Entry <paramref name="index"/> was applied: moves the replicated clock to its stamp (never back) and returns it.</summary>
    private long AdvanceClock(long index, long? stamp)
    {
        _loggedStamps.Applied(index);
        if (stamp is { } ms && ms > _appliedClockMs)
        {
            Interlocked.Exchange(ref _appliedClockMs, ms);
            Interlocked.Exchange(ref _appliedClockMovedAt, Stopwatch.GetTimestamp());
        }

        return _appliedClockMs;
    }

    private static byte[] EncodeClock(long clockMs)
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(data, clockMs);
        return data;
    }

    private void RestoreClock(ReadOnlySpan<byte> data)
    {
        var clock = data.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(data) : 0;
        Interlocked.Exchange(ref _appliedClockMs, clock);
        Interlocked.Exchange(ref _appliedClockMovedAt, Stopwatch.GetTimestamp());
    }
}
