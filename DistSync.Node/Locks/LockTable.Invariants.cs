namespace DistSync.Node.Locks;

/// <summary>A full consistency check (O(table)): run on every restored snapshot and after every step of the property tests.</summary>
public sealed partial class LockTable
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming the first broken invariant.</summary>
    internal void CheckInvariants()
    {
        var waiters = 0;
        var deadlines = 0;
        foreach (var (name, entry) in _resources)
        {
            Require(string.Equals(name, entry.Name, StringComparison.Ordinal), $"resource {name} stored as {entry.Name}");
            Require(entry.Holders.Count > 0, $"{name} has no holder");
            Require(entry.ClientCount <= LockLimits.MaxClientsPerResource, $"{name} has too many clients");
            Require(entry.Holders.Count == 1 || !HasExclusive(entry), $"{name} has an exclusive holder among others");
            foreach (var (client, hold) in entry.Holders)
            {
                Require(hold.Token >= 1 && hold.Token <= entry.FencingToken, $"{name}: token {hold.Token} of {client} above {entry.FencingToken}");
                Require(_deadlines.Contains(LeaseDeadline(entry, client, hold)), $"{name}: lease of {client} not indexed");
                deadlines++;
            }

            Require(entry.Queue.Count == entry.WaiterNodes.Count, $"{name}: queue and index differ");
            foreach (var waiter in entry.Queue)
            {
                Require(entry.WaiterNodes.TryGetValue(waiter.ClientId, out var node) && ReferenceEquals(node.Value, waiter), $"{name}: waiter {waiter.ClientId} not indexed");
                Require(_waitingOn.TryGetValue(waiter.ClientId, out var on) && string.Equals(on, name, StringComparison.Ordinal), $"{waiter.ClientId} waits on {name} unrecorded");
                Require(!entry.Holders.TryGetValue(waiter.ClientId, out var own) || (own.Mode == LockMode.Shared && waiter.Mode == LockMode.Exclusive), $"{name}: holder {waiter.ClientId} waits for a mode it has");
                Require(_deadlines.Contains(new LockDeadline(waiter.DeadlineMs, LockDeadlineKind.Wait, name, waiter.ClientId)), $"{name}: wait of {waiter.ClientId} not indexed");
                waiters++;
                deadlines++;
            }

            if (entry.Queue.First is { } head)
            {
                Require(!entry.CanGrant(head.Value.ClientId, head.Value.Mode), $"{name}: head {head.Value.ClientId} is grantable");
            }
        }

        Require(waiters == _waitingOn.Count, $"{_waitingOn.Count} waiting clients recorded, {waiters} queued");
        Require(deadlines == _deadlines.Count, $"{_deadlines.Count} deadlines indexed, {deadlines} expected");
        Require(FindAnyCycle() is null, "the wait-for graph has a cycle");
    }

    private static bool HasExclusive(LockResourceEntry entry)
    {
        foreach (var hold in entry.Holders.Values)
        {
            if (hold.Mode == LockMode.Exclusive)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Any cycle of the whole graph (colouring depth-first search, iterative so deep graphs cannot overflow the stack).</summary>
    private List<string>? FindAnyCycle()
    {
        var graph = GetWaitForGraph();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1: on the path, 2: done
        foreach (var start in graph.Keys)
        {
            if (state.ContainsKey(start))
            {
                continue;
            }

            var stack = new Stack<(string Node, int Next)>();
            stack.Push((start, 0));
            state[start] = 1;
            while (stack.TryPop(out var frame))
            {
                var successors = graph.TryGetValue(frame.Node, out var s) ? s : [];
                if (frame.Next == successors.Count)
                {
                    state[frame.Node] = 2;
                    continue;
                }

                stack.Push((frame.Node, frame.Next + 1));
                var next = successors[frame.Next];
                if (!state.TryGetValue(next, out var mark))
                {
                    state[next] = 1;
                    stack.Push((next, 0));
                }
                else if (mark == 1)
                {
                    return [.. stack.Select(f => f.Node).Reverse(), next];
                }
            }
        }

        return null;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
