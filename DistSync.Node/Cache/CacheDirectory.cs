namespace DistSync.Node.Cache;

/// <summary>
/// A home's record of who holds each of its keys: at most one owner (E or M) and any number of sharers (S), each
/// with the end of the lease the home granted, on the home's monotonic clock. Pure and single-threaded (the home
/// serialises each key's transitions and locks around these calls).
/// </summary>
public sealed class CacheDirectory
{
    private readonly Dictionary<string, DirectoryEntry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public DirectoryEntry? Find(string key) => _entries.GetValueOrDefault(key);

    public DirectoryEntry GetOrAdd(string key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new DirectoryEntry(key);
            _entries[key] = entry;
        }

        return entry;
    }

    /// <summary>Forgets a key's entry: its holders are being waited out.</summary>
    public void Remove(string key) => _entries.Remove(key);

    /// <summary>
    /// Forgets entries whose every lease has ended and that no request is using: nobody can serve those keys
    /// without asking again. Entries with live leases stay even when the key's home moved away, so that if it moves
    /// back, this home still knows whom it granted to.
    /// </summary>
    public int Sweep(long nowMs, Func<string, bool> inUse)
    {
        var idle = _entries.Values.Where(e => !e.AnyLease(nowMs) && !inUse(e.Key)).Select(e => e.Key).ToList();
        foreach (var key in idle)
        {
            _entries.Remove(key);
        }

        return idle.Count;
    }
}

/// <summary>One key at its home.</summary>
public sealed class DirectoryEntry(string key)
{
    public string Key { get; } = key;

    public string? Owner { get; private set; }

    public long OwnerLeaseUntilMs { get; private set; }

    public Dictionary<string, long> Sharers { get; } = new(StringComparer.Ordinal);

    /// <summary>The ring epoch in which this home last claimed the key in Redis; -1 before.</summary>
    public long Epoch { get; set; } = -1;

    public bool AnyLease(long nowMs) => (Owner is not null && OwnerLeaseUntilMs > nowMs) || Sharers.Values.Any(until => until > nowMs);

    /// <summary>Drops holders whose lease has ended: they stopped serving the line on their own.</summary>
    public void Prune(long nowMs)
    {
        if (Owner is not null && OwnerLeaseUntilMs <= nowMs)
        {
            Owner = null;
        }

        foreach (var node in Sharers.Where(s => s.Value <= nowMs).Select(s => s.Key).ToList())
        {
            Sharers.Remove(node);
        }
    }

    /// <summary>Every node other than <paramref name="requester"/> that may still serve the line, with its lease end.</summary>
    public IReadOnlyList<(string Node, long LeaseUntilMs, bool IsOwner)> HoldersOtherThan(string requester)
    {
        var holders = new List<(string, long, bool)>();
        if (Owner is { } owner && owner != requester)
        {
            holders.Add((owner, OwnerLeaseUntilMs, true));
        }

        holders.AddRange(Sharers.Where(s => s.Key != requester).Select(s => (s.Key, s.Value, false)));
        return holders;
    }

    public void GrantOwner(string node, long leaseUntilMs)
    {
        Sharers.Remove(node);
        Owner = node;
        OwnerLeaseUntilMs = leaseUntilMs;
    }

    public void GrantShared(string node, long leaseUntilMs)
    {
        if (Owner == node)
        {
            Owner = null;
        }

        Sharers[node] = Math.Max(Sharers.GetValueOrDefault(node), leaseUntilMs);
    }

    public void RenewOwner(long leaseUntilMs) => OwnerLeaseUntilMs = Math.Max(OwnerLeaseUntilMs, leaseUntilMs);

    /// <summary>The owner answered a downgrade: it keeps its copy as a sharer, under the lease it already had.</summary>
    public void OwnerDowngraded(bool stillHolds)
    {
        if (Owner is { } owner && stillHolds)
        {
            Sharers[owner] = OwnerLeaseUntilMs;
        }

        Owner = null;
    }

    /// <summary>A holder answered an invalidation, or its lease ran out before it could.</summary>
    public void Invalidated(string node)
    {
        if (Owner == node)
        {
            Owner = null;
        }

        Sharers.Remove(node);
    }

    /// <summary>Forget every holder: a write has taken every copy.</summary>
    public void Clear()
    {
        Owner = null;
        Sharers.Clear();
    }
}
