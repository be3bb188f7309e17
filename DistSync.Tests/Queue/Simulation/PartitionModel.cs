using DistSync.Node.Queue;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>
/// One partition's keys as <see cref="DistSync.Node.Queue.PartitionKeys"/> lays them out in Redis, held in memory: the fence
/// epoch, the ready list, the in-flight and delayed sorted sets, the records, delivery counts, receipts, dead letters,
/// dedup ids, request ids, the publish offset and the version.
/// </summary>
internal sealed class PartitionModel(bool tiesInArrivalOrder)
{
    public long Epoch { get; set; }

    public long Offset { get; set; }

    public long Version { get; set; }

    /// <summary>Consumed from the front; a nack or an expiry puts back at the front, a publish at the back.</summary>
    public LinkedList<string> Ready { get; } = new();

    public SortedScores InFlight { get; } = new(tiesInArrivalOrder);

    public SortedScores Delayed { get; } = new(tiesInArrivalOrder);

    public Dictionary<string, MessageRecord> Messages { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Deliveries { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Receipts { get; } = new(StringComparer.Ordinal);

    public LinkedList<string> Dead { get; } = new();

    public Dictionary<string, string> Dedup { get; } = new(StringComparer.Ordinal);

    public SortedScores DedupAt { get; } = new(tiesInArrivalOrder);

    public Dictionary<string, object> Requests { get; } = new(StringComparer.Ordinal);

    public SortedScores RequestsAt { get; } = new(tiesInArrivalOrder);
}

/// <summary>
/// A sorted set: members ordered by score, and equal scores by the member's bytes as in Redis; or, with
/// <paramref name="tiesInArrivalOrder"/>, by when they were added. Message ids are random, so Redis's order of two messages
/// due at the same millisecond is arbitrary; a simulation takes arrival order instead, so a seed replays whatever ids it drew.
/// </summary>
internal sealed class SortedScores(bool tiesInArrivalOrder = false)
{
    private readonly SortedSet<(long Score, long Sequence, string Member)> _order = new(Comparer<(long Score, long Sequence, string Member)>.Create(
        (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score)
            : tiesInArrivalOrder ? a.Sequence.CompareTo(b.Sequence)
            : string.CompareOrdinal(a.Member, b.Member)));
    private readonly Dictionary<string, (long Score, long Sequence)> _scores = new(StringComparer.Ordinal);
    private long _sequence;

    public int Count => _scores.Count;

    public bool Contains(string member) => _scores.ContainsKey(member);

    public long? ScoreOf(string member) => _scores.TryGetValue(member, out var s) ? s.Score : null;

    /// <summary>ZADD: adds the member, or moves it to its new score.</summary>
    public void Set(string member, long score)
    {
        Remove(member);
        var entry = (score, _sequence++);
        _scores[member] = entry;
        _order.Add((entry.score, entry.Item2, member));
    }

    /// <summary>ZREM: whether it was there.</summary>
    public bool Remove(string member)
    {
        if (!_scores.Remove(member, out var old))
        {
            return false;
        }

        _order.Remove((old.Score, old.Sequence, member));
        return true;
    }

    /// <summary>The lowest score, if any (ZRANGE 0 0 WITHSCORES).</summary>
    public long? First => _order.Count == 0 ? null : _order.Min.Score;

    /// <summary>ZRANGEBYSCORE -inf max LIMIT 0 limit.</summary>
    public List<string> UpTo(long max, int limit) => [.. _order.TakeWhile(e => e.Score <= max).Take(limit).Select(e => e.Member)];

    /// <summary>ZRANGE 0 count-1.</summary>
    public List<string> Lowest(int count) => [.. _order.Take(count).Select(e => e.Member)];
}
