namespace DistSync.Node.Locks;

/// <summary>
/// A session, as <see cref="LockTable.GetSession"/> shows it: its owner and TTL, its end on the replicated clock, and what
/// belongs to it (resource, then client, in ordinal order).
/// </summary>
public sealed record LockSessionState(long SessionId, string Owner, long TtlMs, long ExpiresAtMs, IReadOnlyList<LockSessionHoldState> Holds, IReadOnlyList<LockSessionWaitState> Waits)
{
    // Compared by value, lists included, as outcomes are: replicas and tests compare sessions whole.
    public bool Equals(LockSessionState? other) =>
        other is not null && SessionId == other.SessionId && string.Equals(Owner, other.Owner, StringComparison.Ordinal) && TtlMs == other.TtlMs
        && ExpiresAtMs == other.ExpiresAtMs && Holds.SequenceEqual(other.Holds) && Waits.SequenceEqual(other.Waits);

    public override int GetHashCode() => HashCode.Combine(SessionId, ExpiresAtMs, Holds.Count, Waits.Count);
}

/// <summary>A hold of a session.</summary>
public sealed record LockSessionHoldState(string Resource, string ClientId, LockMode Mode, long Token);

/// <summary>A wait of a session; <paramref name="DeadlineMs"/> is when it times out if not granted.</summary>
public sealed record LockSessionWaitState(string Resource, string ClientId, LockMode Mode, long DeadlineMs);
