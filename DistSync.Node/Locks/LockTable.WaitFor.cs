namespace DistSync.Node.Locks;

/// <summary>The wait-for graph: who waits for whom, and the cycle check a new wait must pass.</summary>
public sealed partial class LockTable
{
    /// <summary>
    /// Waiting client → the clients it waits for (both in ordinal order): the holders of its resource whose mode
    /// conflicts with its request, and the conflicting waiters queued ahead of it. Only waiting clients are keys.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> GetWaitForGraph()
    {
        var graph = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var entry in _resources.Values)
        {
            for (var node = entry.Queue.First; node is not null; node = node.Next)
            {
                graph.Add(node.Value.ClientId, WaitTargets(entry, node.Value.ClientId, node.Value.Mode, node.Previous));
            }
        }

        return graph;
    }

    /// <summary>
    /// Whom <paramref name="clientId"/>, asking <paramref name="mode"/> on <paramref name="entry"/>, waits for when
    /// <paramref name="lastAhead"/> is the last waiter ahead of it (null: none). Sorted, distinct, without itself.
    /// </summary>
    private static List<string> WaitTargets(LockResourceEntry entry, string clientId, LockMode mode, LinkedListNode<LockWaiterEntry>? lastAhead)
    {
        var targets = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (holder, hold) in entry.Holders)
        {
            if (LockModes.Conflicts(mode, hold.Mode) && !string.Equals(holder, clientId, StringComparison.Ordinal))
            {
                targets.Add(holder);
            }
        }

        for (var node = lastAhead; node is not null; node = node.Previous)
        {
            if (LockModes.Conflicts(mode, node.Value.Mode))
            {
                targets.Add(node.Value.ClientId);
            }
        }

        return [.. targets];
    }

    /// <summary>
    /// The clients a waiter's cycle search follows: a subset of its <see cref="WaitTargets"/> from which the rest
    /// can still be reached, so searching it finds exactly the cycles of the full graph, each made of real edges,
    /// in time linear in the queue instead of quadratic. A shared waiter needs only the nearest exclusive waiter
    /// ahead (that one waits for every waiter ahead of it) and an exclusive holder; an exclusive waiter needs the
    /// shared waiters right ahead of it and the exclusive waiter before them, or the holders if there is none.
    /// <paramref name="reached"/>: a shared waiter ahead that the search already reached has the same nearest
    /// exclusive waiter, so the walk may stop there.
    /// </summary>
    private static void AddBlockers(
        LockResourceEntry entry,
        string clientId,
        LockMode mode,
        LinkedListNode<LockWaiterEntry>? lastAhead,
        List<string> into,
        Dictionary<string, string>? reached)
    {
        if (mode == LockMode.Shared)
        {
            for (var node = lastAhead; node is not null; node = node.Previous)
            {
                if (node.Value.Mode == LockMode.Exclusive)
                {
                    into.Add(node.Value.ClientId);
                    break;
                }

                if (reached is not null && reached.ContainsKey(node.Value.ClientId))
                {
                    break;
                }
            }

            if (entry.HasExclusiveHolder)
            {
                AddHolders(entry, clientId, into);
            }

            return;
        }

        for (var node = lastAhead; node is not null; node = node.Previous)
        {
            into.Add(node.Value.ClientId);
            if (node.Value.Mode == LockMode.Exclusive)
            {
                return; // it waits for the holders and everyone further ahead
            }
        }

        AddHolders(entry, clientId, into);
    }

    private static void AddHolders(LockResourceEntry entry, string clientId, List<string> into)
    {
        foreach (var holder in entry.Holders.Keys)
        {
            if (!string.Equals(holder, clientId, StringComparison.Ordinal))
            {
                into.Add(holder);
            }
        }
    }

    /// <summary>
    /// If <paramref name="clientId"/> (which waits for nothing yet) started waiting with <paramref name="mode"/> at the
    /// tail of <paramref name="entry"/>'s queue, would that close a cycle? Breadth-first over <see cref="AddBlockers"/>,
    /// neighbours in ordinal order, so every node finds the same cycle; each client is visited once, so the search is
    /// bounded by the number of waiting clients. Returns the cycle from the client back to it, e.g. [a, b, a].
    /// </summary>
    private List<string>? FindCycle(LockResourceEntry entry, string clientId, LockMode mode)
    {
        if (_waitingOn.ContainsKey(clientId))
        {
            throw new InvalidOperationException($"cycle check for {clientId}, which already waits");
        }

        // Only a waiter for one of its holds could lead back to it; most waiting clients hold nothing.
        if (!_holdCounts.ContainsKey(clientId))
        {
            return null;
        }

        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        var frontier = new Queue<string>();
        var next = new List<string>();
        AddBlockers(entry, clientId, mode, entry.Queue.Last, next, reached: null);
        Visit(clientId, next, parent, frontier);

        // Bounded: a client is enqueued once, and only waiting clients have successors.
        while (frontier.TryDequeue(out var current))
        {
            if (!_waitingOn.TryGetValue(current, out var resource))
            {
                continue;
            }

            var waitedOn = _resources[resource];
            var node = waitedOn.WaiterNodes[current];
            next.Clear();
            AddBlockers(waitedOn, current, node.Value.Mode, node.Previous, next, parent);
            if (next.Contains(clientId, StringComparer.Ordinal))
            {
                return CycleThrough(clientId, current, parent);
            }

            Visit(current, next, parent, frontier);
        }

        return null;
    }

    private static void Visit(string from, List<string> successors, Dictionary<string, string> parent, Queue<string> frontier)
    {
        successors.Sort(StringComparer.Ordinal);
        foreach (var successor in successors)
        {
            if (parent.TryAdd(successor, from))
            {
                frontier.Enqueue(successor);
            }
        }
    }

    private static List<string> CycleThrough(string clientId, string last, Dictionary<string, string> parent)
    {
        var path = new List<string> { clientId };
        for (var node = last; !string.Equals(node, clientId, StringComparison.Ordinal); node = parent[node])
        {
            path.Add(node);
            if (path.Count > parent.Count + 1)
            {
                throw new InvalidOperationException("parent chain of the cycle search loops");
            }
        }

        path.Add(clientId);
        path.Reverse(1, path.Count - 2);
        return path;
    }
}
