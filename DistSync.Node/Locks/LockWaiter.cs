namespace DistSync.Node.Locks;

/// <summary>A queued acquire; <see cref="RequestIndex"/> is the index of the acquire command that queued it.</summary>
internal sealed record LockWaiter(string ClientId, LockMode Mode, long TtlMs, long DeadlineMs, long RequestIndex);
