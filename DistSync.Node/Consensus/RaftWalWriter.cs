using System.Diagnostics;
using DistSync.Node.Storage;

namespace DistSync.Node.Consensus;

/// <summary>
/// Writes the Raft log on a thread of its own, so the loop never waits for the disk (etcd raft's asynchronous
/// storage writes): while one fsync runs, the loop keeps taking acknowledgements, committing and applying, and
/// the jobs it queues meanwhile go to disk together in the next write (group commit). After each write the
/// messages that had to wait for it are sent, in the order they were queued, and the loop is told how far the
/// log is durable (<see cref="RaftNode.MarkPersisted"/>).
/// </summary>
public sealed class RaftWalWriter : IDisposable
{
    private const int MaxQueuedJobs = 65_536;

    private readonly RaftStorage _storage;
    private readonly IRaftTransport _transport;
    private readonly RaftTelemetry _telemetry;
    private readonly Action<long, long> _persisted;
    private readonly Action<Exception> _failed;
    private readonly Queue<Job> _jobs = new();
    private readonly object _gate = new(); // Monitor: waits and pulses need it
    private readonly Thread _thread;
    private int _unfinished;
    private bool _stopping;

    /// <summary>A hard state that only moved the commit index, not yet written: the next write carries it.</summary>
    private HardState? _deferred;

    /// <param name="persisted">Called on the writer's thread with the last durable (index, term) after each write;
    /// it must not block or wait for the writer.</param>
    /// <param name="failed">Called once if the disk fails; the writer stops (the node must not go on without its log).</param>
    public RaftWalWriter(RaftStorage storage, IRaftTransport transport, RaftTelemetry telemetry, Action<long, long> persisted, Action<Exception> failed)
    {
        _storage = storage;
        _transport = transport;
        _telemetry = telemetry;
        _persisted = persisted;
        _failed = failed;
        _thread = new Thread(Run) { IsBackground = true, Name = "raft-wal-writer" };
        _thread.Start();
    }

    /// <summary>True when every queued job is written and its messages sent.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_gate)
            {
                return _unfinished == 0;
            }
        }
    }

    /// <summary>
    /// Queues a write; <paramref name="after"/> is sent once it (and every write before it) is on disk.
    /// <paramref name="sync"/> false with no entries (only the commit index moved, which Raft keeps in volatile state)
    /// writes nothing by itself: the hard state goes to disk with the next write that must be made durable. Every frame on disk is
    /// therefore fsynced before the next one is written, so a crash can only ever tear the last frame; an unsynced
    /// frame could be lost while a later one survives, which load would rightly refuse as corruption.
    /// </summary>
    public void Enqueue(HardState? hardState, IReadOnlyList<Entry> entries, bool sync, IReadOnlyList<Message> after) =>
        Add(new Job(hardState, entries, sync, after));

    /// <summary>Queues messages to send after the writes already queued (keeps their order).</summary>
    public void EnqueueSend(IReadOnlyList<Message> messages) => Add(new Job(null, [], false, messages));

    /// <summary>Blocks until every queued job is done: for snapshots and compaction, which touch the log files directly.</summary>
    public void WaitIdle()
    {
        lock (_gate)
        {
            while (_unfinished > 0 && !_stopping)
            {
                Monitor.Wait(_gate);
            }
        }
    }

    /// <summary>
    /// Forgets a deferred hard state: for the loop's own synchronous write of a received snapshot, whose hard state
    /// supersedes it (writing the older one after it would move the commit index backwards). Call after <see cref="WaitIdle"/>.
    /// </summary>
    public void DiscardDeferred()
    {
        lock (_gate)
        {
            _deferred = null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _thread.Join();
    }

    private void Add(Job job)
    {
        lock (_gate)
        {
            // Backpressure rather than an unbounded queue: the loop waits only if the disk is this far behind.
            while (_jobs.Count >= MaxQueuedJobs && !_stopping)
            {
                Monitor.Wait(_gate);
            }

            if (_stopping)
            {
                return;
            }

            _jobs.Enqueue(job);
            _unfinished++;
            Monitor.PulseAll(_gate);
        }
    }

    private void Run()
    {
        var batch = new List<Job>();
        while (true)
        {
            lock (_gate)
            {
                while (_jobs.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_jobs.Count == 0)
                {
                    WriteDeferredOnStop();
                    return; // stopping, and everything queued is written
                }

                batch.Clear();
                while (_jobs.TryDequeue(out var job))
                {
                    batch.Add(job);
                }

                Monitor.PulseAll(_gate); // room in the queue again
            }

            try
            {
                Write(batch);
            }
            catch (Exception ex)
            {
                _failed(ex);
                lock (_gate)
                {
                    _stopping = true;
                    Monitor.PulseAll(_gate);
                }

                return;
            }

            lock (_gate)
            {
                _unfinished -= batch.Count;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Writes the batch with as few fsyncs as contiguity allows, then sends and reports.</summary>
    private void Write(List<Job> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var entries = new List<Entry>();
        HardState? hardState = null;
        var sync = false;
        var written = 0;
        var saves = 0;
        foreach (var job in batch)
        {
            // A job that overwrites a suffix (a follower's conflict) starts its own write, after the ones before it.
            if (entries.Count > 0 && job.Entries.Count > 0 && job.Entries[0].Index != entries[^1].Index + 1)
            {
                if (Save(hardState, entries, sync))
                {
                    written += entries.Count;
                    saves++;
                }

                (entries, hardState, sync) = ([], null, false);
            }

            entries.AddRange(job.Entries);
            hardState = job.HardState ?? hardState;
            sync |= job.Sync;
        }

        if ((hardState is not null || entries.Count > 0) && Save(hardState, entries, sync))
        {
            written += entries.Count;
            saves++;
        }

        if (saves > 0)
        {
            _telemetry.Persisted(Stopwatch.GetElapsedTime(started), written);
        }

        foreach (var job in batch)
        {
            if (job.After.Count > 0)
            {
                _transport.Send(job.After);
            }
        }

        for (var i = batch.Count - 1; i >= 0; i--)
        {
            if (batch[i].Entries.Count > 0)
            {
                var last = batch[i].Entries[^1];
                _persisted(last.Index, last.Term);
                break;
            }
        }
    }

    /// <summary>A clean stop leaves the newest commit index on disk too, so a restarted node re-applies what it had.</summary>
    private void WriteDeferredOnStop()
    {
        if (_deferred is not { } state)
        {
            return;
        }

        try
        {
            _storage.Save(state, []);
            _deferred = null;
        }
        catch (Exception ex)
        {
            _failed(ex);
        }
    }

    /// <summary>
    /// Writes and fsyncs, with the deferred hard state if this write has none; returns false, having deferred the
    /// hard state instead, when nothing here must be durable.
    /// </summary>
    private bool Save(HardState? hardState, List<Entry> entries, bool sync)
    {
        if (!sync && entries.Count == 0)
        {
            _deferred = hardState ?? _deferred;
            return false;
        }

        // A hard state given here is newer than the deferred one (each Ready's is the whole state).
        _storage.Save(hardState ?? _deferred, entries);
        _deferred = null;
        return true;
    }

    private sealed record Job(HardState? HardState, IReadOnlyList<Entry> Entries, bool Sync, IReadOnlyList<Message> After);
}
