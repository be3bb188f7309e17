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
    private static List<string> WaitTargets(LockResourceEntry entry, string clientId, LockMode mode, LinkedListNode<LockWaiter>? lastAhead)
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
    /// If <paramref name="clientId"/> (which waits for nothing yet) started waiting for <paramref name="targets"/>,
    /// would that close a cycle? Breadth-first from the targets in ordinal order, so the shortest cycle is found and
    /// the answer is the same on every node. Returns the cycle from the client back to it, e.g. [a, b, a].
    /// </summary>
    private List<string>? FindCycle(string clientId, List<string> targets)
    {
        if (_waitingOn.ContainsKey(clientId))
        {
            throw new InvalidOperationException($"cycle check for {clientId}, which already waits");
        }

        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        var frontier = new Queue<string>();
        foreach (var target in targets)
        {
            if (parent.TryAdd(target, clientId))
            {
                frontier.Enqueue(target);
            }
        }

        // Bounded: a client is enqueued once, and only waiting clients have successors.
        while (frontier.TryDequeue(out var current))
        {
            if (!_waitingOn.TryGetValue(current, out var resource))
            {
                continue;
            }

            var entry = _resources[resource];
            var node = entry.WaiterNodes[current];
            foreach (var next in WaitTargets(entry, current, node.Value.Mode, node.Previous))
            {
                if (string.Equals(next, clientId, StringComparison.Ordinal))
                {
                    return CycleThrough(clientId, current, parent);
                }

                if (parent.TryAdd(next, current))
                {
                    frontier.Enqueue(next);
                }
            }
        }

        return null;
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
