namespace DistSync.Node.Locks;

/// <summary>
/// One resource of the table: the mode it is held in, its holders (ordinal order of client id), its waiters
/// (queue order, head first) and its fencing token (the token of the last grant).
/// </summary>
public sealed record LockResourceState(
    string Resource,
    LockMode Mode,
    IReadOnlyList<LockHolderState> Holders,
    IReadOnlyList<LockWaiterState> Waiters,
    long FencingToken);
