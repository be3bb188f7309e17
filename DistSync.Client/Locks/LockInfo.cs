namespace DistSync.Client;

/// <summary>A resource as the cluster holds it: its mode and newest fencing token, its holders, and its waiters in queue order.</summary>
public sealed record LockInfo(string Resource, LockMode? Mode, long? FencingToken, IReadOnlyList<LockHolderInfo> Holders, IReadOnlyList<LockWaiterInfo> Waiters)
{
    public bool IsHeld => Holders.Count > 0;
}

/// <summary>One holder: its id (a client's hold is <c>{ClientId}/{n}</c>), mode, fencing token and session.</summary>
public sealed record LockHolderInfo(string ClientId, LockMode Mode, long FencingToken, long? SessionId);

/// <summary>One waiter: its id, the mode it asks for, and its session.</summary>
public sealed record LockWaiterInfo(string ClientId, LockMode Mode, long? SessionId);
