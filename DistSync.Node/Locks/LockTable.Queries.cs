namespace DistSync.Node.Locks;

/// <summary>Read-only views of the table; each is ordered so that every node renders the same answer.</summary>
public sealed partial class LockTable
{
    /// <summary>Every resource (ordinal order) with its mode, holders, queue and fencing token.</summary>
    public IReadOnlyList<LockResourceState> GetState()
    {
        var result = new List<LockResourceState>(_resources.Count);
        foreach (var entry in _resources.Values)
        {
            result.Add(StateOf(entry));
        }

        return result;
    }

    /// <summary>One resource's state, or null if no one holds or waits for it.</summary>
    public LockResourceState? GetState(string resource) =>
        _resources.TryGetValue(resource, out var entry) ? StateOf(entry) : null;

    /// <summary>
    /// The earliest lease end, wait deadline or session end, or null if there is none. The leader proposes
    /// <see cref="LockCommand.ExpireDue"/> once its clock reaches this time.
    /// </summary>
    public long? NextDeadlineMs()
    {
        long? lockDue = _deadlines.Count == 0 ? null : _deadlines.Min.AtMs;
        long? sessionDue = _sessionDeadlines.Count == 0 ? null : _sessionDeadlines.Min.AtMs;
        return lockDue is { } l && sessionDue is { } s ? Math.Min(l, s) : lockDue ?? sessionDue;
    }

    private LockResourceState StateOf(LockResourceEntry entry)
    {
        var holders = new List<LockHolderState>(entry.Holders.Count);
        foreach (var (client, hold) in entry.Holders)
        {
            holders.Add(new LockHolderState(client, hold.Mode, hold.Token, ExpiresAtOf(hold), SessionOrNull(hold.SessionId)));
        }

        var waiters = new List<LockWaiterState>(entry.Queue.Count);
        foreach (var waiter in entry.Queue)
        {
            waiters.Add(new LockWaiterState(waiter.ClientId, waiter.Mode, waiter.DeadlineMs, waiter.TtlMs, SessionOrNull(waiter.SessionId)));
        }

        return new LockResourceState(entry.Name, entry.Mode, holders, waiters, entry.FencingToken);
    }

    private static long? SessionOrNull(long sessionId) => sessionId == 0 ? null : sessionId;
}
