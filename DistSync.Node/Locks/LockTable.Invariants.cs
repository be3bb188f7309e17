namespace DistSync.Node.Locks;

/// <summary>A full consistency check (O(table)): run on every restored snapshot and after every step of the property tests.</summary>
public sealed partial class LockTable
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming the first broken invariant.</summary>
    internal void CheckInvariants()
    {
        Require(_requests.Count == _requestsByExpiry.Count, "remembered requests and their expiry index differ");
        foreach (var (_, client, requestId) in _requestsByExpiry)
        {
            Require(_requests.ContainsKey((client, requestId)), $"request {requestId} of {client} not indexed");
        }

        var waiters = 0;
        var deadlines = 0;
        var sessionItems = 0;
        var holds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, entry) in _resources)
        {
            Require(string.Equals(name, entry.Name, StringComparison.Ordinal), $"resource {name} stored as {entry.Name}");
            Require(entry.Holders.Count > 0, $"{name} has no holder");
            Require(entry.ClientCount <= LockLimits.MaxClientsPerResource, $"{name} has too many clients");
            Require(entry.Holders.Count == 1 || !HasExclusive(entry), $"{name} has an exclusive holder among others");
            foreach (var (client, hold) in entry.Holders)
            {
                Require(hold.Token >= 1 && hold.Token <= entry.FencingToken, $"{name}: token {hold.Token} of {client} above {entry.FencingToken}");
                if (hold.SessionId == 0)
                {
                    Require(_deadlines.Contains(LeaseDeadline(entry, client, hold)), $"{name}: lease of {client} not indexed");
                    deadlines++;
                }
                else
                {
                    Require(_sessions.TryGetValue(hold.SessionId, out var session) && session.Holds.Contains((name, client)), $"{name}: hold of {client} not in its session {hold.SessionId}");
                    Require(hold.ExpiresAtMs == 0 && !_deadlines.Contains(LeaseDeadline(entry, client, hold)), $"{name}: {client}'s hold of session {hold.SessionId} has a lease");
                    sessionItems++;
                }

                holds[client] = holds.GetValueOrDefault(client) + 1;
            }

            Require(entry.Queue.Count == entry.WaiterNodes.Count, $"{name}: queue and index differ");
            foreach (var waiter in entry.Queue)
            {
                Require(entry.WaiterNodes.TryGetValue(waiter.ClientId, out var node) && ReferenceEquals(node.Value, waiter), $"{name}: waiter {waiter.ClientId} not indexed");
                Require(_waitingOn.TryGetValue(waiter.ClientId, out var on) && string.Equals(on, name, StringComparison.Ordinal), $"{waiter.ClientId} waits on {name} unrecorded");
                Require(!entry.Holders.TryGetValue(waiter.ClientId, out var own) || (own.Mode == LockMode.Shared && waiter.Mode == LockMode.Exclusive), $"{name}: holder {waiter.ClientId} waits for a mode it has");
                Require(_deadlines.Contains(new LockDeadline(waiter.DeadlineMs, LockDeadlineKind.Wait, name, waiter.ClientId)), $"{name}: wait of {waiter.ClientId} not indexed");
                Require(!entry.Holders.TryGetValue(waiter.ClientId, out var upgrading) || upgrading.SessionId == waiter.SessionId, $"{name}: {waiter.ClientId}'s hold and wait belong to different sessions");
                if (waiter.SessionId == 0)
                {
                    Require(waiter.TtlMs >= LockLimits.MinTtlMs, $"{name}: waiter {waiter.ClientId} has no lease to be granted");
                }
                else
                {
                    Require(_sessions.TryGetValue(waiter.SessionId, out var session) && session.Waits.Contains((name, waiter.ClientId)), $"{name}: wait of {waiter.ClientId} not in its session {waiter.SessionId}");
                    Require(waiter.TtlMs == 0, $"{name}: {waiter.ClientId}'s wait of session {waiter.SessionId} has a lease");
                    sessionItems++;
                }

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
        Require(holds.Count == _holdCounts.Count && holds.All(h => _holdCounts.GetValueOrDefault(h.Key) == h.Value), "hold counts differ from the holders");
        Require(sessionItems == _sessions.Values.Sum(s => s.RequestCount), "sessions index holds or waits that are not theirs");
        CheckSessions();
        Require(FindAnyCycle() is null, "the wait-for graph has a cycle");
    }

    /// <summary>The sessions' own indexes: deadlines, owners' counts and create request ids, and the bounds.</summary>
    private void CheckSessions()
    {
        Require(_sessions.Count <= LockLimits.MaxSessions, $"{_sessions.Count} sessions open");
        Require(_sessionDeadlines.Count == _sessions.Count, $"{_sessionDeadlines.Count} session ends indexed for {_sessions.Count} sessions");
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        var requests = 0;
        foreach (var (id, session) in _sessions)
        {
            Require(session.Id == id, $"session {id} stored as {session.Id}");
            Require(_sessionDeadlines.Contains((session.ExpiresAtMs, id)), $"end of session {id} not indexed");
            Require(session.RequestCount <= LockLimits.MaxRequestsPerSession, $"session {id} has too many holds and waits");
            owners[session.Owner] = owners.GetValueOrDefault(session.Owner) + 1;
            if (session.RequestId is { } requestId)
            {
                Require(_sessionsByRequest.TryGetValue((session.Owner, requestId), out var named) && named == id, $"request {requestId} of session {id} not indexed");
                requests++;
            }
        }

        Require(requests == _sessionsByRequest.Count, "create request ids index sessions that are gone");
        Require(owners.Count == _sessionsByOwner.Count && owners.All(o => _sessionsByOwner.GetValueOrDefault(o.Key) == o.Value), "owners' session counts differ from the sessions");
        Require(owners.Values.All(n => n <= LockLimits.MaxSessionsPerOwner), "an owner has too many sessions");
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

    /// <summary>
    /// Any cycle of the wait-for graph: colouring depth-first search over <see cref="AddBlockers"/> (same cycles as
    /// the full graph, linear size), iterative so a long chain of waiters cannot overflow the stack.
    /// </summary>
    private List<string>? FindAnyCycle()
    {
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // true: on the current path
        foreach (var start in _waitingOn.Keys.Order(StringComparer.Ordinal))
        {
            if (state.ContainsKey(start))
            {
                continue;
            }

            var stack = new Stack<(string Node, List<string> Next, int At)>();
            stack.Push((start, BlockersOf(start), 0));
            state[start] = true;
            while (stack.TryPop(out var frame))
            {
                if (frame.At == frame.Next.Count)
                {
                    state[frame.Node] = false;
                    continue;
                }

                stack.Push(frame with { At = frame.At + 1 });
                var next = frame.Next[frame.At];
                if (!state.TryGetValue(next, out var onPath))
                {
                    state[next] = true;
                    stack.Push((next, BlockersOf(next), 0));
                }
                else if (onPath)
                {
                    return [.. stack.Select(f => f.Node).Reverse(), next];
                }
            }
        }

        return null;
    }

    private List<string> BlockersOf(string clientId)
    {
        var blockers = new List<string>();
        if (_waitingOn.TryGetValue(clientId, out var resource))
        {
            var entry = _resources[resource];
            var node = entry.WaiterNodes[clientId];
            AddBlockers(entry, clientId, node.Value.Mode, node.Previous, blockers, reached: null);
        }

        return blockers;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
