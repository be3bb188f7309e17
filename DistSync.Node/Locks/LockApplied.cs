namespace DistSync.Node.Locks;

/// <summary>
/// What applying a lock command returns to its proposer: the outcome, its wait when it queued, the log index it was
/// applied at (the request's identity, for a withdraw) and the replicated clock at that entry (to say what is left of a lease).
/// </summary>
public sealed record LockApplied(LockOutcome Outcome, Task<LockEvent>? Wait, long Index, long ClockMs);
