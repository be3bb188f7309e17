using System.Text;

namespace DistSync.Node.Locks;

/// <summary>
/// What applying one command answered to its sender, plus the <see cref="Events"/> it caused for others
/// (grants to promoted waiters, timeouts, expiries), in a deterministic order.
/// </summary>
public abstract record LockOutcome
{
    public IReadOnlyList<LockEvent> Events { get; init; } = [];

    // Outcomes compare and print by value, lists included, so hosts and tests can compare them whole.
    public virtual bool Equals(LockOutcome? other) =>
        other is not null && EqualityContract == other.EqualityContract && Events.SequenceEqual(other.Events);

    public override int GetHashCode() => HashCode.Combine(EqualityContract, Events.Count);

    protected virtual bool PrintMembers(StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Events = [").AppendJoin(", ", Events).Append(']');
        return true;
    }

    /// <summary>
    /// The sender holds the resource in <paramref name="Mode"/>. <paramref name="AlreadyHeld"/>: it held it before
    /// (a repeat acquire); the token is unchanged and only the lease was renewed.
    /// </summary>
    public sealed record Acquired(long Token, long ExpiresAtMs, LockMode Mode, bool AlreadyHeld) : LockOutcome;

    /// <summary>Queued; <paramref name="Position"/> is 1 for the head of the queue.</summary>
    public sealed record Waiting(int Position, long DeadlineMs) : LockOutcome;

    /// <summary>
    /// Not grantable now and the request did not want to wait. <paramref name="Holders"/> are all current holders
    /// (ordinal order; a refused upgrade lists the requester too); <paramref name="Queued"/> counts waiters that were ahead.
    /// </summary>
    public sealed record Busy(IReadOnlyList<string> Holders, int Queued) : LockOutcome
    {
        public bool Equals(Busy? other) =>
            base.Equals(other) && Holders.SequenceEqual(other.Holders, StringComparer.Ordinal) && Queued == other.Queued;

        public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Holders.Count, Queued);

        protected override bool PrintMembers(StringBuilder builder)
        {
            base.PrintMembers(builder);
            builder.Append(", Holders = [").AppendJoin(", ", Holders).Append("], Queued = ").Append(Queued);
            return true;
        }
    }

    /// <summary>Waiting would close <paramref name="Cycle"/> in the wait-for graph: client ids from the sender back to it.</summary>
    public sealed record Deadlock(IReadOnlyList<string> Cycle) : LockOutcome
    {
        public bool Equals(Deadlock? other) => base.Equals(other) && Cycle.SequenceEqual(other.Cycle, StringComparer.Ordinal);

        public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Cycle.Count);

        protected override bool PrintMembers(StringBuilder builder)
        {
            base.PrintMembers(builder);
            builder.Append(", Cycle = [").AppendJoin(", ", Cycle).Append(']');
            return true;
        }
    }

    /// <summary>The sender already waits for <paramref name="Resource"/>; a client waits for one resource at a time.</summary>
    public sealed record AlreadyWaiting(string Resource) : LockOutcome;

    /// <summary>A bound of <see cref="LockLimits"/> would be exceeded; <paramref name="Limit"/> names it.</summary>
    public sealed record LimitReached(string Limit) : LockOutcome;

    /// <summary>The sender's hold was released and/or its wait cancelled.</summary>
    public sealed record Released(bool HoldReleased, bool WaitCancelled) : LockOutcome;

    /// <summary>The sender neither held nor waited for the resource.</summary>
    public sealed record NotHeld : LockOutcome;

    public sealed record Renewed(long Token, long ExpiresAtMs) : LockOutcome;

    /// <summary>
    /// A release or renew named a hold by a token that is not the client's current hold: <paramref name="CurrentToken"/>
    /// is the hold it has now. Nothing changed.
    /// </summary>
    public sealed record StaleToken(long CurrentToken) : LockOutcome;

    /// <summary>The expiry command ran; the details are in <see cref="LockOutcome.Events"/>.</summary>
    public sealed record ExpiryApplied(int LeasesExpired, int WaitsTimedOut, int SessionsExpired = 0) : LockOutcome;

    /// <summary>
    /// A session is open until <paramref name="ExpiresAtMs"/> on the replicated clock. <paramref name="Existing"/>: a repeat
    /// of the create (same request id) found it open, and kept it alive.
    /// </summary>
    public sealed record SessionCreated(long SessionId, long TtlMs, long ExpiresAtMs, bool Existing) : LockOutcome;

    /// <summary>The session ends no earlier than <paramref name="ExpiresAtMs"/> now.</summary>
    public sealed record SessionKeptAlive(long SessionId, long TtlMs, long ExpiresAtMs) : LockOutcome;

    /// <summary>The session ended: its holds were released and its waits withdrawn (the details are in the events).</summary>
    public sealed record SessionClosed(long SessionId, int HoldsReleased, int WaitsWithdrawn) : LockOutcome;

    /// <summary>No open session of the sender has this id: it ended (expired or closed), never existed, or is another's.</summary>
    public sealed record SessionNotFound(long SessionId) : LockOutcome;

    /// <summary>
    /// The client's hold or wait on the resource belongs to another session (<paramref name="HeldSessionId"/>, null: to a
    /// lease of its own) than the request named. Nothing changed.
    /// </summary>
    public sealed record SessionMismatch(long? HeldSessionId) : LockOutcome;

    /// <summary>A renew named a hold that belongs to session <paramref name="SessionId"/>: it has no lease of its own to renew.</summary>
    public sealed record SessionHold(long SessionId) : LockOutcome;

    /// <summary>The command broke a validation rule and changed nothing.</summary>
    public sealed record Rejected(LockValidationError Error) : LockOutcome;

    /// <summary>
    /// A repeat of a request whose first answer was a refusal (<paramref name="Status"/>: <c>busy</c>, <c>timeout</c>, …):
    /// refused again, whatever the table holds now. A copy of an acquire that arrives late, after its retry was refused,
    /// must not grant a hold its client was told it does not have.
    /// </summary>
    public sealed record RefusedBefore(string Status) : LockOutcome
    {
        /// <summary>Every status a remembered refusal may carry.</summary>
        public static readonly IReadOnlySet<string> Statuses = new HashSet<string>(StringComparer.Ordinal)
        {
            "busy", "deadlock", "already_waiting", "limit_reached", "session_mismatch", "session_not_found", "timeout", "cancelled",
            "not_held", "stale_token", "session_hold",
        };
    }
}
