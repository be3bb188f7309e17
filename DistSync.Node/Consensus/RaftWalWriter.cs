using System.Diagnostics;
using DistSync.Node.Storage;
using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// Writes the Raft log on a thread of its own, so the loop never waits for the disk (etcd raft's asynchronous
/// storage writes): while one fsync runs, the loop keeps taking acknowledgements, committing and applying, and
/// the jobs it queues meanwhile go to disk together in the next write (group commit). After each write the
/// messages that had to wait for it are sent, in the order they were queued, and the loop is told how far the
/// log is durable (<see cref="RaftNode.MarkPersisted"/>). Snapshots keep their place in that order: one received
/// from the leader is saved here whole; one the host took is written beside (its file only) and recorded here.
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

    /// <summary>
    /// Queues a snapshot received from the leader: saved whole (file, WAL marker, compaction) after the writes queued
    /// before it, then <paramref name="hardState"/> and <paramref name="entries"/>; <paramref name="after"/> (the
    /// follower's answer, which says the snapshot is on disk) is sent once all of it is. A commit index deferred before
    /// it is dropped: the snapshot's hard state supersedes it, and writing the older one after it would move the
    /// commit index backwards.
    /// </summary>
    public void EnqueueSnapshot(Snapshot snapshot, HardState? hardState, IReadOnlyList<Entry> entries, IReadOnlyList<Message> after) =>
        Add(new Job(hardState, entries, true, after) { Install = snapshot });

    /// <summary>
    /// Queues the WAL record of a snapshot whose file is already durable (<see cref="RaftStorage.WriteSnapshotFile"/>,
    /// written off this thread): the marker and the compaction go in log order, after the writes queued before, so
    /// the entries the snapshot covers are in the log before any segment holding them is deleted.
    /// <paramref name="recorded"/> is called on the writer's thread when it is done, with false when a newer snapshot
    /// was saved meanwhile (nothing was written).
    /// </summary>
    public void EnqueueSnapshotRecord(SnapshotMetadata metadata, Action<bool> recorded) =>
        Add(new Job(null, [], false, []) { Record = metadata, Recorded = recorded });

    /// <summary>Blocks until every queued job is done.</summary>
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

    /// <summary>Writes the batch with as few fsyncs as contiguity and snapshots allow, then sends and reports.</summary>
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
            if (job.Install is not null || job.Record is not null)
            {
                // Whatever was queued before a snapshot is written before it.
                Flush();
                if (job.Install is { } snapshot)
                {
                    _deferred = null;
                    _storage.SaveSnapshot(snapshot);
                    saves++;
                }
                else
                {
                    job.Recorded!(_storage.RecordSnapshot(job.Record!));
                }
            }
            else if (entries.Count > 0 && job.Entries.Count > 0 && job.Entries[0].Index != entries[^1].Index + 1)
            {
                // A job that overwrites a suffix (a follower's conflict) starts its own write, after the ones before it.
                Flush();
            }

            entries.AddRange(job.Entries);
            hardState = job.HardState ?? hardState;
            sync |= job.Sync;
        }

        Flush();
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

        void Flush()
        {
            if ((hardState is not null || entries.Count > 0) && Save(hardState, entries, sync))
            {
                written += entries.Count;
                saves++;
            }

            (entries, hardState, sync) = ([], null, false);
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

    private sealed record Job(HardState? HardState, IReadOnlyList<Entry> Entries, bool Sync, IReadOnlyList<Message> After)
    {
        /// <summary>A snapshot from the leader, saved whole before this job's hard state and entries.</summary>
        public Snapshot? Install { get; init; }

        /// <summary>A snapshot whose file is written: record it, then call <see cref="Recorded"/>.</summary>
        public SnapshotMetadata? Record { get; init; }

        public Action<bool>? Recorded { get; init; }
    }
}
