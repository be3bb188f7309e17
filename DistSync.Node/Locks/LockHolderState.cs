namespace DistSync.Node.Locks;

/// <summary>One holder of a resource, as <see cref="LockTable.GetState"/> shows it.</summary>
public sealed record LockHolderState(string ClientId, LockMode Mode, long Token, long ExpiresAtMs);
