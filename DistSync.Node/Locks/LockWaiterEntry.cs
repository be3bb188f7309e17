namespace DistSync.Node.Locks;

/// <summary>
/// A queued acquire; <see cref="RequestIndex"/> is the index of the acquire command that queued it, and
/// <see cref="RequestId"/> the caller's id for it, if it gave one (its grant becomes that id's answer). A waiter of a
/// session has its <see cref="SessionId"/> (0: none) and no lease of its own (<see cref="TtlMs"/> 0).
/// </summary>
internal sealed record LockWaiterEntry(string ClientId, LockMode Mode, long TtlMs, long DeadlineMs, long RequestIndex, string? RequestId = null, long SessionId = 0);
