using System.Text;

namespace DistSync.Node.Cache;

/// <summary>
/// A node's L1: its lines, bounded in entries and bytes with least-recently-used eviction, and the node's side of the
/// MESI transitions. Pure and single-threaded (the caller locks); time is an input (monotonic ms for leases, Unix ms
/// for value TTLs).
/// <para>
/// A revoke from the home can overtake the grant it follows: the home answered this node's request, then serialised
/// another node's write and invalidated this node before the answer arrived. So a revoke also marks the key's request
/// in flight, and that request's grant is then served to its caller but never installed.
/// </para>
/// </summary>
public sealed class CacheLines(int maxEntries, long maxBytes)
{
    /// <summary>What a line costs beyond its key and value (object, list node, dictionary slot).</summary>
    private const int Overhead = 160;

    private readonly Dictionary<string, CacheLine> _lines = new(StringComparer.Ordinal);
    private readonly LinkedList<CacheLine> _lru = new();
    private readonly Dictionary<string, (long Ticket, bool Revoked)> _requests = new(StringComparer.Ordinal);
    private long _tickets;

    public int Count => _lines.Count;

    public long Bytes { get; private set; }

    public CacheLine? Find(string key) => _lines.GetValueOrDefault(key);

    /// <summary>The line if this node may serve it now (held, lease unexpired), marked as recently used; else null.</summary>
    public CacheLine? Lookup(string key, long nowMs)
    {
        if (!_lines.TryGetValue(key, out var line))
        {
            return null;
        }

        if (!line.LeaseValid(nowMs))
        {
            // A dirty line outlives its lease until written back or renewed: dropping it would lose the write.
            if (!line.Dirty)
            {
                Remove(line);
            }

            return null;
        }

        _lru.Remove(line.Lru!);
        _lru.AddFirst(line.Lru!);
        return line;
    }

    /// <summary>A request for <paramref name="key"/> leaves for its home (at most one per key at a time).</summary>
    public long BeginRequest(string key)
    {
        var ticket = ++_tickets;
        _requests[key] = (ticket, false);
        return ticket;
    }

    /// <summary>The request's answer came back (or failed): true when no revoke arrived meanwhile, so its grant may be installed.</summary>
    public bool EndRequest(string key, long ticket)
    {
        if (!_requests.TryGetValue(key, out var request) || request.Ticket != ticket)
        {
            return false;
        }

        _requests.Remove(key);
        return !request.Revoked;
    }

    /// <summary>
    /// Installs a grant from the home (clean: a home's write is in Redis before it answers). Returns the lines evicted
    /// to make room, dirty ones included: the caller writes those back before they are forgotten.
    /// </summary>
    public IReadOnlyList<LineSnapshot> Install(string key, LineState state, string? value, long version, long fence, long expiresAtUnixMs, long leaseUntilMs)
    {
        if (state == LineState.I)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "A grant is M, E or S.");
        }

        if (!_lines.TryGetValue(key, out var line))
        {
            line = new CacheLine(key);
            line.Lru = _lru.AddFirst(line);
            _lines[key] = line;
        }
        else
        {
            _lru.Remove(line.Lru!);
            _lru.AddFirst(line.Lru!);
        }

        line.State = state;
        line.Value = value;
        line.Version = version;
        line.Fence = fence;
        line.ExpiresAtUnixMs = expiresAtUnixMs;
        line.LeaseUntilMs = leaseUntilMs;
        line.Dirty = false;
        line.Generation++;
        Resize(line);
        return EvictBeyondBounds(line);
    }

    /// <summary>The home renewed this node's exclusive lease.</summary>
    public void Renew(string key, long fence, long leaseUntilMs)
    {
        if (_lines.TryGetValue(key, out var line) && line.IsExclusive && line.Fence == fence && leaseUntilMs > line.LeaseUntilMs)
        {
            line.LeaseUntilMs = leaseUntilMs;
        }
    }

    /// <summary>
    /// A write by the exclusive holder: E or M becomes M with the next version, no message to anyone. Under write-back
    /// the line is dirty until written back; under write-through the caller has already stored it in Redis.
    /// </summary>
    public CacheLine WriteLocal(string key, string? value, long version, long expiresAtUnixMs, bool dirty, long nowMs)
    {
        var line = _lines.GetValueOrDefault(key);
        if (line is null || !line.IsExclusive || !line.LeaseValid(nowMs))
        {
            throw new InvalidOperationException($"'{key}' is not held exclusively here.");
        }

        if (version <= line.Version)
        {
            throw new InvalidOperationException($"Version {version} of '{key}' is not past {line.Version}.");
        }

        if (dirty && !line.Dirty)
        {
            line.DirtySinceMs = nowMs;
        }

        line.State = LineState.M;
        line.Value = value;
        line.Version = version;
        line.ExpiresAtUnixMs = expiresAtUnixMs;
        line.Dirty = dirty || line.Dirty;
        line.Generation++;
        Resize(line);
        _lru.Remove(line.Lru!);
        _lru.AddFirst(line.Lru!);
        return line;
    }

    /// <summary>
    /// The home takes the line away: <see cref="RevokeKind.Invalidate"/> drops it (another node writes);
    /// <see cref="RevokeKind.Downgrade"/> turns M or E into S (another node reads). A dirty value comes back in
    /// <see cref="Revoked.WriteBack"/>: the caller stores it before answering the home.
    /// </summary>
    public Revoked Revoke(string key, RevokeKind kind)
    {
        // With a request in flight, this line may be older than what the home granted since: a downgrade that kept
        // it as S could leave a stale copy when the newer grant is then refused. Drop it instead.
        if (_requests.TryGetValue(key, out var request))
        {
            _requests[key] = request with { Revoked = true };
            kind = RevokeKind.Invalidate;
        }

        if (!_lines.TryGetValue(key, out var line))
        {
            return new Revoked(LineState.I, 0, null, false);
        }

        var before = line.State;
        var writeBack = line.Dirty ? Snapshot(line) : null;
        if (kind == RevokeKind.Invalidate)
        {
            Remove(line);
            return new Revoked(before, line.Version, writeBack, false);
        }

        if (line.IsExclusive)
        {
            line.State = LineState.S;
        }

        line.Dirty = false;
        line.Generation++;
        return new Revoked(before, line.Version, writeBack, true);
    }

    /// <summary>Forgets the line (the caller has written back anything dirty).</summary>
    public void Drop(string key)
    {
        if (_lines.TryGetValue(key, out var line))
        {
            Remove(line);
        }
    }

    /// <summary>Dirty lines written before <paramref name="dirtySinceBeforeMs"/>: the write-back flusher's work.</summary>
    public IReadOnlyList<LineSnapshot> DirtyLines(long dirtySinceBeforeMs) =>
        [.. _lines.Values.Where(l => l.Dirty && l.DirtySinceMs <= dirtySinceBeforeMs).Select(Snapshot)];

    /// <summary>The write-back of <paramref name="version"/> reached Redis: clean, unless written again since.</summary>
    public void MarkClean(string key, long version)
    {
        if (_lines.TryGetValue(key, out var line) && line.Dirty && line.Version == version)
        {
            line.Dirty = false;
            line.Generation++;
        }
    }

    public IReadOnlyDictionary<LineState, int> CountByState(long nowMs)
    {
        var counts = new Dictionary<LineState, int> { [LineState.M] = 0, [LineState.E] = 0, [LineState.S] = 0, [LineState.I] = 0 };
        foreach (var line in _lines.Values)
        {
            counts[line.LeaseValid(nowMs) ? line.State : LineState.I]++;
        }

        return counts;
    }

    /// <summary>The most recently used lines first.</summary>
    public IEnumerable<CacheLine> RecentlyUsed() => _lru;

    public static LineSnapshot Snapshot(CacheLine line) =>
        new(line.Key, line.State, line.Value, line.Version, line.Fence, line.ExpiresAtUnixMs, line.Dirty);

    private IReadOnlyList<LineSnapshot> EvictBeyondBounds(CacheLine keep)
    {
        List<LineSnapshot>? evicted = null;
        while ((_lines.Count > maxEntries || Bytes > maxBytes) && _lru.Last is { } last && last.Value != keep)
        {
            (evicted ??= []).Add(Snapshot(last.Value));
            Remove(last.Value);
        }

        return evicted ?? (IReadOnlyList<LineSnapshot>)[];
    }

    private void Resize(CacheLine line)
    {
        var bytes = Overhead + (2 * line.Key.Length) + (line.Value is null ? 0 : Encoding.UTF8.GetByteCount(line.Value));
        Bytes += bytes - line.Bytes;
        line.Bytes = bytes;
    }

    private void Remove(CacheLine line)
    {
        _lines.Remove(line.Key);
        _lru.Remove(line.Lru!);
        Bytes -= line.Bytes;
        line.State = LineState.I;
        line.Generation++;
    }
}

public enum RevokeKind
{
    Invalidate,
    Downgrade,
}

/// <summary>What a revoke found: the state the line was in, its version, a dirty value to write back first, and whether a copy (S) is kept.</summary>
public sealed record Revoked(LineState Before, long Version, LineSnapshot? WriteBack, bool Kept);

/// <summary>A line's content at one moment, for a write-back or a view.</summary>
public sealed record LineSnapshot(string Key, LineState State, string? Value, long Version, long Fence, long ExpiresAtUnixMs, bool Dirty);
