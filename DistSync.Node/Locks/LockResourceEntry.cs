namespace DistSync.Node.Locks;

/// <summary>
/// One resource's holders and FIFO queue. Holders are kept in ordinal order so every output is independent of
/// hashing; the queue is a linked list indexed by client for O(1) removal of a timed-out or cancelled waiter.
/// </summary>
internal sealed class LockResourceEntry(string name)
{
    public string Name { get; } = name;
    public SortedDictionary<string, LockHolderEntry> Holders { get; } = new(StringComparer.Ordinal);
    public LinkedList<LockWaiterEntry> Queue { get; } = new();
    public Dictionary<string, LinkedListNode<LockWaiterEntry>> WaiterNodes { get; } = new(StringComparer.Ordinal);
    public long FencingToken { get; set; }

    /// <summary>Holders plus waiters, the quantity <see cref="LockLimits.MaxClientsPerResource"/> bounds.</summary>
    public int ClientCount => Holders.Count + Queue.Count;

    public bool IsEmpty => Holders.Count == 0 && Queue.Count == 0;

    /// <summary>Exclusive when the single holder holds exclusive (an exclusive hold is always alone), else shared.</summary>
    public LockMode Mode => HasExclusiveHolder ? LockMode.Exclusive : LockMode.Shared;

    public bool HasExclusiveHolder
    {
        get
        {
            if (Holders.Count != 1)
            {
                return false;
            }

            using var first = Holders.Values.GetEnumerator();
            return first.MoveNext() && first.Current.Mode == LockMode.Exclusive;
        }
    }

    /// <summary>1-based queue position of a waiting client (walks the queue; used only on repeated requests).</summary>
    public int PositionOf(string clientId)
    {
        var position = 1;
        for (var node = Queue.First; node is not null; node = node.Next, position++)
        {
            if (string.Equals(node.Value.ClientId, clientId, StringComparison.Ordinal))
            {
                return position;
            }
        }

        throw new InvalidOperationException($"client {clientId} is not queued on {Name}");
    }

    /// <summary>
    /// Whether a waiter could be granted now, ignoring the queue: exclusive needs no other holder, shared needs no
    /// exclusive holder. (A waiter never holds exclusive, since an exclusive holder's requests are satisfied at once.)
    /// </summary>
    public bool CanGrant(string clientId, LockMode mode)
    {
        if (mode == LockMode.Shared)
        {
            return !HasExclusiveHolder;
        }

        return Holders.Count == 0 || (Holders.Count == 1 && Holders.ContainsKey(clientId));
    }
}
