using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// The host's WAL writer (<see cref="RaftWalWriter"/>), simulated for a node: a Ready's writes are queued and finished
/// at some later step, in order, and lost in a crash. Messages that rely on a write wait with it; a leader's appends
/// (no change of term or vote) leave at once; messages with nothing to write never overtake queued ones.
/// </summary>
internal sealed class SimulatedWalWriter
{
    private readonly Queue<PendingWrite> _pending = new();

    /// <summary>The last hard state handed over (what the host compares with to decide what may go first).</summary>
    private HardState _handed;

    /// <summary>A hard state that only moved the commit index: like the host's writer, it goes to disk with the next write.</summary>
    private HardState? _deferred;

    public int Queued => _pending.Count;

    /// <summary>A start from disk, or a crash: nothing queued survives.</summary>
    public void Reset(HardState persisted)
    {
        _pending.Clear();
        _handed = persisted;
        _deferred = null;
    }

    /// <summary>Takes a Ready's writes (one without a snapshot); returns the messages to send now.</summary>
    public IReadOnlyList<Message> Hand(Ready ready, RaftRole role, out bool leaderSentFirst)
    {
        var sendNow = ready.MaySendBeforeWrite(role, _handed);
        leaderSentFirst = false;
        if (ready.HardState is not null || ready.EntriesToPersist.Count > 0)
        {
            var sync = ready.EntriesToPersist.Count > 0 || ready.ChangesTermOrVote(_handed);
            _pending.Enqueue(new PendingWrite(ready.HardState, ready.EntriesToPersist, sendNow ? [] : ready.Messages, sync));
            _handed = ready.HardState ?? _handed;
            leaderSentFirst = sendNow && ready.EntriesToPersist.Count > 0;
            return sendNow ? ready.Messages : [];
        }

        if (sendNow || _pending.Count == 0)
        {
            return ready.Messages;
        }

        _pending.Enqueue(new PendingWrite(null, [], ready.Messages, Sync: false));
        return [];
    }

    /// <summary>The host's synchronous path for a Ready with a snapshot: drain the writer, then write and send it here.</summary>
    public void WriteDirectly(Ready ready, SimulatedStorage storage, RaftNode raft, Action<IReadOnlyList<Message>> send)
    {
        Finish(_pending.Count, storage, raft, send);
        _deferred = null; // the snapshot's hard state supersedes it
        storage.Persist(ready);
        _handed = ready.HardState ?? _handed;
        send(ready.Messages);
    }

    /// <summary>Finishes the first <paramref name="count"/> queued writes: persist, send what waited, report to the core.</summary>
    public void Finish(int count, SimulatedStorage storage, RaftNode? raft, Action<IReadOnlyList<Message>> send)
    {
        Entry? last = null;
        for (var i = 0; i < count && _pending.Count > 0; i++)
        {
            var write = _pending.Dequeue();
            if (write.Sync)
            {
                storage.Persist(new Ready { HardState = write.HardState ?? _deferred, EntriesToPersist = write.Entries });
                _deferred = null;
            }
            else
            {
                _deferred = write.HardState ?? _deferred;
            }

            send(write.After);
            last = write.Entries.Count > 0 ? write.Entries[^1] : last;
        }

        if (last is not null)
        {
            raft?.MarkPersisted(last.Index, last.Term);
        }
    }
}
