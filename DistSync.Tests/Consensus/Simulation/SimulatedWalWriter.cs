using DistSync.Node.Consensus;

namespace DistSync.Tests.Consensus.Simulation;

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

    public int Queued => _pending.Count;

    /// <summary>A start from disk, or a crash: nothing queued survives.</summary>
    public void Reset(HardState persisted)
    {
        _pending.Clear();
        _handed = persisted;
    }

    /// <summary>Takes a Ready's writes (one without a snapshot); returns the messages to send now.</summary>
    public IReadOnlyList<Message> Hand(Ready ready, RaftRole role, out bool leaderSentFirst)
    {
        var sendNow = ready.MaySendBeforeWrite(role, _handed);
        leaderSentFirst = false;
        if (ready.HardState is not null || ready.EntriesToPersist.Count > 0)
        {
            _pending.Enqueue(new PendingWrite(ready.HardState, ready.EntriesToPersist, sendNow ? [] : ready.Messages));
            _handed = ready.HardState ?? _handed;
            leaderSentFirst = sendNow && ready.EntriesToPersist.Count > 0;
            return sendNow ? ready.Messages : [];
        }

        if (sendNow || _pending.Count == 0)
        {
            return ready.Messages;
        }

        _pending.Enqueue(new PendingWrite(null, [], ready.Messages));
        return [];
    }

    /// <summary>The host's synchronous path for a Ready with a snapshot: drain the writer, then write and send it here.</summary>
    public void WriteDirectly(Ready ready, SimulatedStorage storage, RaftNode raft, Action<IReadOnlyList<Message>> send)
    {
        Finish(_pending.Count, storage, raft, send);
        storage.Persist(ready);
        _handed = storage.HardState;
        send(ready.Messages);
    }

    /// <summary>Finishes the first <paramref name="count"/> queued writes: persist, send what waited, report to the core.</summary>
    public void Finish(int count, SimulatedStorage storage, RaftNode? raft, Action<IReadOnlyList<Message>> send)
    {
        Entry? last = null;
        for (var i = 0; i < count && _pending.Count > 0; i++)
        {
            var write = _pending.Dequeue();
            storage.Persist(new Ready { HardState = write.HardState, EntriesToPersist = write.Entries });
            send(write.After);
            last = write.Entries.Count > 0 ? write.Entries[^1] : last;
        }

        if (last is not null)
        {
            raft?.MarkPersisted(last.Index, last.Term);
        }
    }
}
