namespace DistSync.Node.Locks;

/// <summary>
/// A change to the lock table, written to the Raft log and applied on every node. Each command carries
/// the time the leader decided for it (<see cref="NowMs"/>, Unix milliseconds), so applying it never
/// reads a clock.
/// </summary>
public abstract record LockCommand(long NowMs)
{
    /// <summary>Hold <paramref name="Resource"/> in <paramref name="Mode"/>, waiting up to <paramref name="WaitMs"/> (0: answer busy at once).</summary>
    public sealed record Acquire(string Resource, string ClientId, LockMode Mode, long TtlMs, long WaitMs, long NowMs)
        : LockCommand(NowMs);

    /// <summary>Give up the hold on, and any wait for, <paramref name="Resource"/>.</summary>
    public sealed record Release(string Resource, string ClientId, long NowMs) : LockCommand(NowMs);

    /// <summary>Extend a hold's lease to <paramref name="NowMs"/> + <paramref name="TtlMs"/>.</summary>
    public sealed record Renew(string Resource, string ClientId, long TtlMs, long NowMs) : LockCommand(NowMs);

    /// <summary>
    /// The leader's decision that time has reached <paramref name="NowMs"/>: every lease that ended by then is
    /// released and every wait whose deadline passed is timed out.
    /// </summary>
    public sealed record ExpireDue(long NowMs) : LockCommand(NowMs);
}
