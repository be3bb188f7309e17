using System.Collections.Concurrent;
using DistSync.Raft;

namespace DistSync.Node.Queue;

/// <summary>
/// The owner's exact view of each partition it owns: how many messages are ready and when the next visibility
/// timeout or delay ends. Exact because in its epoch the owner is the only writer (the fence stopped the previous one
/// at take-over), and every script answers with both numbers. It lets an empty partition be skipped without asking
/// Redis, and the redelivery scheduler sleep until the exact next deadline. Deadlines here are on this node's monotonic
/// clock: a script answers how long until the next one on Redis's clock, and that wait starts when the answer arrives
/// (a little after Redis ran the script, so the owner looks late, never early). No wall clock is read.
/// <para>
/// The deadlines are also kept in order (one entry per partition that has one), so finding what is due costs the due
/// partitions and one more, not a scan of every partition; and the partitions whose view changed are queued, so the
/// gauges are refreshed from what changed. Both are bounded by the partitions owned.
/// </para>
/// </summary>
public sealed class OwnedPartitions(TimeProvider time)
{
    /// <summary>Views of <paramref name="store"/>'s partitions: all forgotten when it may have gone back to an older state.</summary>
    public OwnedPartitions(TimeProvider time, IQueueStore store)
        : this(time)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.Reset += ForgetAll;
    }

    private readonly ConcurrentDictionary<(string Topic, int Partition), PartitionView> _views = new();

    // Writers take the lock (Set, RetainOnly, Due, TakeChanged); readers of a view (Get) do not.
    private readonly Lock _lock = new();
    private readonly SortedSet<(long DueMs, string Topic, int Partition)> _deadlines = new(Comparer<(long DueMs, string Topic, int Partition)>.Create(static (a, b) =>
        a.DueMs != b.DueMs ? a.DueMs.CompareTo(b.DueMs)
        : string.CompareOrdinal(a.Topic, b.Topic) is var byName and not 0 ? byName
        : a.Partition.CompareTo(b.Partition)));
    private readonly Dictionary<(string Topic, int Partition), long> _deadlineOf = [];
    private readonly Queue<(string Topic, int Partition)> _changed = new();
    private readonly HashSet<(string Topic, int Partition)> _changedSet = [];
    /// <summary>When the scheduler means to wake next (<see cref="Due"/>'s answer); a deadline before it wakes the scheduler.</summary>
    private long _plannedWakeMs = long.MaxValue;
    private long _visited;

    /// <summary>Raised when a deadline falls before the scheduler's planned wake-up, so it wakes sooner.</summary>
    public event Action? DeadlineMovedEarlier;

    /// <summary>Deadline entries <see cref="Due"/> has looked at, ever: the work of finding what is due (a test holds it to its bound).</summary>
    public long Visited => Interlocked.Read(ref _visited);

    /// <summary>The view if this node took the partition over in <paramref name="epoch"/>, else null (take it over first).</summary>
    public PartitionView? Get(string topic, int partition, long epoch) =>
        _views.TryGetValue((topic, partition), out var view) && view.Epoch == epoch ? view : null;

    /// <summary>
    /// Records a script's answer. Answers to concurrent calls can arrive in any order; <paramref name="version"/> is the
    /// order Redis ran them in, so a late answer never replaces a newer one (it would say "empty" about a partition
    /// a later publish filled, and its message would wait for the next call to be seen).
    /// </summary>
    public void Set(string topic, int partition, long epoch, long ready, long dueInMs, long version)
    {
        var nextDueMs = dueInMs < 0 ? -1 : NowMs + dueInMs;
        var key = (topic, partition);
        var wake = false;
        lock (_lock)
        {
            if (_views.TryGetValue(key, out var old) && (old.Epoch > epoch || (old.Epoch == epoch && old.Version > version)))
            {
                return;
            }

            _views[key] = new PartitionView(epoch, ready, nextDueMs, version);
            Schedule(key, nextDueMs);
            if (_changedSet.Add(key))
            {
                _changed.Enqueue(key);
            }

            if (nextDueMs >= 0 && nextDueMs < _plannedWakeMs)
            {
                _plannedWakeMs = nextDueMs;
                wake = true;
            }
        }

        if (wake)
        {
            DeadlineMovedEarlier?.Invoke();
        }
    }

    /// <summary>Forgets partitions this node no longer owns (a ring change: the one time every view is looked at).</summary>
    public void RetainOnly(Func<string, int, bool> owned)
    {
        lock (_lock)
        {
            foreach (var key in _views.Keys.Where(k => !owned(k.Topic, k.Partition)).ToList())
            {
                _views.TryRemove(key, out _);
                Schedule(key, -1);
            }
        }
    }

    /// <summary>Drops the view of one partition: the next call there takes it over again (its numbers are no longer known to be exact).</summary>
    public void Forget(string topic, int partition)
    {
        lock (_lock)
        {
            if (_views.TryRemove((topic, partition), out _))
            {
                Schedule((topic, partition), -1);
            }
        }
    }

    /// <summary>
    /// Drops every view: the store may have gone back to an older state, where a version seen before can come again and a
    /// newer answer would be taken for a late one (a partition known "empty" would then never be asked again). Each
    /// partition's next call takes it over afresh and reads it exactly.
    /// </summary>
    public void ForgetAll()
    {
        lock (_lock)
        {
            foreach (var key in _views.Keys.ToList())
            {
                _views.TryRemove(key, out _);
                Schedule(key, -1);
            }
        }
    }

    /// <summary>This node's monotonic clock in milliseconds, the clock of <see cref="PartitionView.NextDueMs"/>.</summary>
    public long NowMs => (long)(time.GetTimestamp() * (1000.0 / time.TimestampFrequency));

    /// <summary>
    /// Owned partitions whose next deadline is due by <paramref name="nowMs"/> (<see cref="NowMs"/>), and the earliest one
    /// after it (-1: none), which the caller is taken to sleep until. Looks at the due entries and the first one after them
    /// (and at entries of an earlier epoch on the way, dropped once seen: their take-over sets them again).
    /// </summary>
    public (IReadOnlyList<(string Topic, int Partition)> Due, long NextMs) Due(long nowMs, long epoch)
    {
        var due = new List<(string, int)>();
        var next = -1L;
        lock (_lock)
        {
            List<(string, int)>? superseded = null;
            foreach (var (dueMs, topic, partition) in _deadlines)
            {
                _visited++;
                var view = _views[(topic, partition)];
                if (view.Epoch < epoch)
                {
                    (superseded ??= []).Add((topic, partition));
                    continue;
                }

                if (view.Epoch > epoch)
                {
                    continue; // taken over in an epoch the caller has not seen yet: the caller's next look finds it
                }

                if (dueMs > nowMs)
                {
                    next = dueMs;
                    break;
                }

                due.Add((topic, partition));
            }

            foreach (var key in superseded ?? [])
            {
                Schedule(key, -1);
            }

            _plannedWakeMs = next < 0 ? long.MaxValue : next;
        }

        return (due, next);
    }

    /// <summary>
    /// Partitions whose view changed since they were last taken, oldest change first, with their views (null: no longer
    /// owned); at most <paramref name="max"/>. The gauges refresh from these instead of asking Redis about every partition.
    /// </summary>
    public IReadOnlyList<((string Topic, int Partition) Key, PartitionView? View)> TakeChanged(int max)
    {
        lock (_lock)
        {
            var taken = new List<((string, int), PartitionView?)>(Math.Min(max, _changed.Count));
            while (taken.Count < max && _changed.TryDequeue(out var key))
            {
                _changedSet.Remove(key);
                taken.Add((key, _views.GetValueOrDefault(key)));
            }

            return taken;
        }
    }

    /// <summary>Puts a partition back among the changed ones (its gauge could not be refreshed this time).</summary>
    public void MarkChanged(string topic, int partition)
    {
        lock (_lock)
        {
            if (_views.ContainsKey((topic, partition)) && _changedSet.Add((topic, partition)))
            {
                _changed.Enqueue((topic, partition));
            }
        }
    }

    public IEnumerable<KeyValuePair<(string Topic, int Partition), PartitionView>> All => _views;

    /// <summary>Moves the partition's entry among the deadlines to <paramref name="dueMs"/> (-1: none). Under the lock.</summary>
    private void Schedule((string Topic, int Partition) key, long dueMs)
    {
        if (_deadlineOf.Remove(key, out var was))
        {
            _deadlines.Remove((was, key.Topic, key.Partition));
        }

        if (dueMs >= 0)
        {
            _deadlineOf[key] = dueMs;
            _deadlines.Add((dueMs, key.Topic, key.Partition));
        }
    }
}

/// <summary><paramref name="NextDueMs"/> is on the owner's monotonic clock (<see cref="OwnedPartitions.NowMs"/>); -1: nothing due.</summary>
public sealed record PartitionView(long Epoch, long Ready, long NextDueMs, long Version);
