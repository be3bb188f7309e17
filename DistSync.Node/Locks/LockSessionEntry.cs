namespace DistSync.Node.Locks;

/// <summary>
/// A session as the lock table keeps it (mutable: a keep-alive moves its end). Its id is the index of the command that
/// opened it. <see cref="Holds"/> and <see cref="Waits"/> index what belongs to it, (resource, client) in ordinal order,
/// so ending it finds everything to release in one pass and in one order on every node. The table shows it as a
/// <see cref="LockSessionState"/>.
/// </summary>
internal sealed class LockSessionEntry(long id, string owner, long ttlMs, long expiresAtMs, string? requestId)
{
    private static readonly Comparer<(string Resource, string ClientId)> ByResourceThenClient = Comparer<(string Resource, string ClientId)>.Create(
        (a, b) => string.CompareOrdinal(a.Resource, b.Resource) is var byResource and not 0 ? byResource : string.CompareOrdinal(a.ClientId, b.ClientId));

    public long Id { get; } = id;

    /// <summary>The name of the token that opened it; only that token may use it.</summary>
    public string Owner { get; } = owner;

    public long TtlMs { get; } = ttlMs;

    /// <summary>When it ends on the replicated clock, unless kept alive: its last keep-alive's time plus <see cref="TtlMs"/>.</summary>
    public long ExpiresAtMs { get; set; } = expiresAtMs;

    /// <summary>The create's request id, under which a repeat of that create finds it.</summary>
    public string? RequestId { get; } = requestId;

    public SortedSet<(string Resource, string ClientId)> Holds { get; } = new(ByResourceThenClient);

    public SortedSet<(string Resource, string ClientId)> Waits { get; } = new(ByResourceThenClient);

    /// <summary>Holds plus waits, the quantity <see cref="LockLimits.MaxRequestsPerSession"/> bounds.</summary>
    public int RequestCount => Holds.Count + Waits.Count;
}
