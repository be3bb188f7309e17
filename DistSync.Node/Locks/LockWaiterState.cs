namespace DistSync.Node.Locks;

/// <summary>
/// One queued request, as <see cref="LockTable.GetState"/> shows it; <see cref="TtlMs"/> is the lease it gets when granted
/// (0 for a session's waiter, whose hold lasts as long as <paramref name="SessionId"/>).
/// </summary>
public sealed record LockWaiterState(string ClientId, LockMode Mode, long DeadlineMs, long TtlMs, long? SessionId = null);
