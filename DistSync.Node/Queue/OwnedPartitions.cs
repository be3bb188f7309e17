using System.Collections.Concurrent;

namespace DistSync.Node.Queue;

/// <summary>
/// The owner's exact view of each partition it owns: how many messages are ready and when the next visibility
/// timeout or delay ends. Exact because in its epoch the owner is the only writer (the fence stopped the previous one
/// at take-over), and every script answers with both numbers. It lets an empty partition be skipped without asking
/// Redis, and the redelivery scheduler sleep until the exact next deadline. Deadlines here are on this node's monotonic
/// clock: a script answers how long until the next one on Redis's clock, and that wait starts when the answer arrives
/// (a little after Redis ran the script, so the owner looks late, never early). No wall clock is read.
/// </summary>
public sealed class OwnedPartitions(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), PartitionView> _views = new();

    /// <summary>Raised when a partition's next deadline moves earlier, so the scheduler wakes sooner.</summary>
    public event Action? DeadlineMovedEarlier;

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
        var next = new PartitionView(epoch, ready, nextDueMs, version);
        PartitionView? before = null;
        var after = _views.AddOrUpdate((topic, partition), _ =>
        {
            before = null;
            return next;
        }, (_, old) =>
        {
            before = old;
            return old.Epoch > epoch || (old.Epoch == epoch && old.Version > version) ? old : next;
        });
        if (ReferenceEquals(after, next) && nextDueMs >= 0 && (before is null || before.NextDueMs < 0 || nextDueMs < before.NextDueMs))
        {
            DeadlineMovedEarlier?.Invoke();
        }
    }

    /// <summary>Forgets partitions this node no longer owns.</summary>
    public void RetainOnly(Func<string, int, bool> owned)
    {
        foreach (var key in _views.Keys.Where(k => !owned(k.Topic, k.Partition)).ToList())
        {
            _views.TryRemove(key, out _);
        }
    }

    /// <summary>This node's monotonic clock in milliseconds, the clock of <see cref="PartitionView.NextDueMs"/>.</summary>
    public long NowMs => (long)(time.GetTimestamp() * (1000.0 / time.TimestampFrequency));

    /// <summary>Owned partitions whose next deadline is due by <paramref name="nowMs"/> (<see cref="NowMs"/>), and the earliest one after it (-1: none).</summary>
    public (IReadOnlyList<(string Topic, int Partition)> Due, long NextMs) Due(long nowMs, long epoch)
    {
        var due = new List<(string, int)>();
        var next = -1L;
        foreach (var ((topic, partition), view) in _views)
        {
            if (view.Epoch != epoch || view.NextDueMs < 0)
            {
                continue;
            }

            if (view.NextDueMs <= nowMs)
            {
                due.Add((topic, partition));
            }
            else if (next < 0 || view.NextDueMs < next)
            {
                next = view.NextDueMs;
            }
        }

        return (due, next);
    }

    public IEnumerable<KeyValuePair<(string Topic, int Partition), PartitionView>> All => _views;
}

/// <summary><paramref name="NextDueMs"/> is on the owner's monotonic clock (<see cref="OwnedPartitions.NowMs"/>); -1: nothing due.</summary>
public sealed record PartitionView(long Epoch, long Ready, long NextDueMs, long Version);
