namespace DistSync.Node.Locks;

/// <summary>
/// A change to the lock table, written to the Raft log and applied on every node. <see cref="NowMs"/> is the
/// replicated leader time at which it applies: the proposer leaves it 0 and the state machine fills it in from the
/// time the leader stamped on the entry, so no proposer's clock decides a lease. (Commands written before leader
/// time existed carry their proposer's clock here, and are applied with it.)
/// </summary>
public abstract record LockCommand(long NowMs)
{
    /// <summary>
    /// The caller's id for this request (acquire, release, renew): a repeat with the same id within
    /// <see cref="LockLimits.RequestIdWindowMs"/> gets the first one's answer and applies nothing twice. On a
    /// <see cref="CreateSession"/> it names the session for as long as the session lives.
    /// </summary>
    public string? RequestId { get; init; }

    /// <summary>
    /// Hold <paramref name="Resource"/> in <paramref name="Mode"/>, waiting up to <paramref name="WaitMs"/> (0: answer busy at
    /// once). With a <see cref="SessionId"/> (and its <see cref="Owner"/>), the hold and the wait belong to that session and
    /// last as long as it does: <paramref name="TtlMs"/> is then 0.
    /// </summary>
    public sealed record Acquire(string Resource, string ClientId, LockMode Mode, long TtlMs, long WaitMs, long NowMs)
        : LockCommand(NowMs)
    {
        public long? SessionId { get; init; }

        /// <summary>The token that asks, which must be the session's owner; given only with <see cref="SessionId"/>.</summary>
        public string? Owner { get; init; }
    }

    /// <summary>
    /// Give up the hold on, and any wait for, <paramref name="Resource"/>. With a <see cref="FencingToken"/>, only the
    /// hold that token names is released (a wait is left alone), and a hold with another token is refused as stale.
    /// </summary>
    public sealed record Release(string Resource, string ClientId, long NowMs) : LockCommand(NowMs)
    {
        public long? FencingToken { get; init; }
    }

    /// <summary>Extend a hold's lease to <paramref name="NowMs"/> + <paramref name="TtlMs"/>; with a <see cref="FencingToken"/>, only that hold's.</summary>
    public sealed record Renew(string Resource, string ClientId, long TtlMs, long NowMs) : LockCommand(NowMs)
    {
        public long? FencingToken { get; init; }
    }

    /// <summary>
    /// The leader's decision that time has reached <paramref name="NowMs"/>: every lease that ended by then is
    /// released and every wait whose deadline passed is timed out.
    /// </summary>
    public sealed record ExpireDue(long NowMs) : LockCommand(NowMs);

    /// <summary>
    /// The acquire applied at <paramref name="RequestIndex"/> was abandoned by its caller (the HTTP request went away):
    /// its wait is withdrawn, or, if it was granted meanwhile, the hold that grant made is released. Anything the client
    /// holds or waits for through another request is left alone. With the abandoned request's <see cref="RequestId"/>,
    /// a repeat of that request applied before this one has claimed its answer, and the withdraw does nothing.
    /// </summary>
    public sealed record Withdraw(string Resource, string ClientId, long RequestIndex, long NowMs) : LockCommand(NowMs);

    /// <summary>
    /// Open a session owned by <paramref name="Owner"/> that ends <paramref name="TtlMs"/> after its last keep-alive, unless
    /// closed first. Its id is this command's log index. With a <see cref="RequestId"/>, a repeat while the session lives
    /// answers that session (and keeps it alive) instead of opening another.
    /// </summary>
    public sealed record CreateSession(string Owner, long TtlMs, long NowMs) : LockCommand(NowMs);

    /// <summary>Keep a session alive: it now ends no earlier than <paramref name="NowMs"/> + its TTL.</summary>
    public sealed record KeepAlive(long SessionId, string Owner, long NowMs) : LockCommand(NowMs);

    /// <summary>End a session now: every hold of it is released and every wait of it withdrawn, by this one command.</summary>
    public sealed record CloseSession(long SessionId, string Owner, long NowMs) : LockCommand(NowMs);
}
