namespace DistSync.Node.Locks;

/// <summary>What applying a lock command returns to its proposer: the outcome and, when it queued, its wait.</summary>
public sealed record LockApplied(LockOutcome Outcome, Task<LockEvent>? Wait);
