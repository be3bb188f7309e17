namespace DistSync.Node.Locks;

/// <summary>A queued acquire.</summary>
internal sealed record LockWaiter(string ClientId, LockMode Mode, long TtlMs, long DeadlineMs);
