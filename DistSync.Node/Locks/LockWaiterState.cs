namespace DistSync.Node.Locks;

/// <summary>One queued request, as <see cref="LockTable.GetState"/> shows it; <see cref="TtlMs"/> is the lease it gets when granted.</summary>
public sealed record LockWaiterState(string ClientId, LockMode Mode, long DeadlineMs, long TtlMs);
