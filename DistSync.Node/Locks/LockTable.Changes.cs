namespace DistSync.Node.Locks;

/// <summary>Release, renew, expiry, and the few primitives every change goes through (they keep the indexes in step).</summary>
public sealed partial class LockTable
{
    private LockOutcome ApplyRelease(LockCommand.Release cmd, long index)
    {
        if (!_resources.TryGetValue(cmd.Resource, out var entry))
        {
            return new LockOutcome.NotHeld();
        }

        if (cmd.FencingToken is { } token)
        {
            // A named hold: only that one goes. A release sent before a re-acquire must not free the newer hold.
            return !entry.Holders.TryGetValue(cmd.ClientId, out var named) ? new LockOutcome.NotHeld()
                : named.Token != token ? new LockOutcome.StaleToken(named.Token)
                : ReleaseHold(entry, cmd.ClientId, index, cmd.NowMs);
        }

        var holdReleased = RemoveHold(entry, cmd.ClientId) is not null;
        var events = new List<LockEvent>();
        var cancelled = RemoveWaiter(entry, cmd.ClientId, endedAs: "cancelled");
        if (cancelled is not null)
        {
            events.Add(new LockEvent.WaitCancelled(entry.Name, cancelled.ClientId, cancelled.Mode));
        }

        if (!holdReleased && cancelled is null)
        {
            return new LockOutcome.NotHeld();
        }

        Promote(entry, index, cmd.NowMs, events);
        DropIfEmpty(entry);
        return new LockOutcome.Released(holdReleased, cancelled is not null) { Events = events };
    }

    private LockOutcome ApplyRenew(LockCommand.Renew cmd)
    {
        if (!_resources.TryGetValue(cmd.Resource, out var entry) || !entry.Holders.TryGetValue(cmd.ClientId, out var hold))
        {
            return new LockOutcome.NotHeld();
        }

        if (cmd.FencingToken is { } token && token != hold.Token)
        {
            return new LockOutcome.StaleToken(hold.Token);
        }

        if (hold.SessionId != 0)
        {
            return new LockOutcome.SessionHold(hold.SessionId);
        }

        SetLease(entry, cmd.ClientId, hold, cmd.NowMs + cmd.TtlMs);
        return new LockOutcome.Renewed(hold.Token, hold.ExpiresAtMs);
    }

    /// <summary>
    /// The caller of the acquire at <c>RequestIndex</c> went away: withdraw its wait, or release the hold its grant
    /// made. Holds and waits from the client's other requests have other request indices and stay.
    /// </summary>
    private LockOutcome ApplyWithdraw(LockCommand.Withdraw cmd, long index)
    {
        if (ClaimedByARepeat(cmd) || !_resources.TryGetValue(cmd.Resource, out var entry))
        {
            return new LockOutcome.NotHeld();
        }

        ForgetWithdrawnRequest(cmd);

        if (entry.WaiterNodes.TryGetValue(cmd.ClientId, out var node) && node.Value.RequestIndex == cmd.RequestIndex)
        {
            var waiter = RemoveWaiter(entry, cmd.ClientId, endedAs: null)!;
            List<LockEvent> events = [new LockEvent.WaitCancelled(entry.Name, waiter.ClientId, waiter.Mode)];
            Promote(entry, index, cmd.NowMs, events);
            DropIfEmpty(entry);
            return new LockOutcome.Released(HoldReleased: false, WaitCancelled: true) { Events = events };
        }

        return entry.Holders.TryGetValue(cmd.ClientId, out var hold) && hold.RequestIndex == cmd.RequestIndex
            ? ReleaseHold(entry, cmd.ClientId, index, cmd.NowMs)
            : new LockOutcome.NotHeld();
    }

    /// <summary>Releases one hold and lets the waiters behind it in.</summary>
    private LockOutcome.Released ReleaseHold(LockResourceEntry entry, string clientId, long index, long nowMs)
    {
        RemoveHold(entry, clientId);
        var events = new List<LockEvent>();
        Promote(entry, index, nowMs, events);
        DropIfEmpty(entry);
        return new LockOutcome.Released(HoldReleased: true, WaitCancelled: false) { Events = events };
    }

    /// <summary>
    /// Removes every hold whose lease ended, every waiter whose deadline passed and every session whose end passed by
    /// <c>NowMs</c> (in deadline order; a lease or wait before a session due at the same time), then promotes waiters on
    /// the touched resources (in ordinal order). A waiter whose deadline passed is timed out even if a hold expiring in the
    /// same command would have let it in: its deadline came first.
    /// </summary>
    private LockOutcome ApplyExpireDue(LockCommand.ExpireDue cmd, long index)
    {
        var events = new List<LockEvent>();
        var touched = new SortedSet<string>(StringComparer.Ordinal);
        int leases = 0, waits = 0, sessions = 0;

        // Bounded: each pass removes at least one deadline (a session takes its waiters' with it), and nothing here adds one.
        var bound = _deadlines.Count + _sessionDeadlines.Count;
        for (var i = 0; i < bound; i++)
        {
            var lockDue = _deadlines.Count > 0 && _deadlines.Min.AtMs <= cmd.NowMs;
            var sessionDue = _sessionDeadlines.Count > 0 && _sessionDeadlines.Min.AtMs <= cmd.NowMs;
            if (sessionDue && (!lockDue || _sessionDeadlines.Min.AtMs < _deadlines.Min.AtMs))
            {
                EndSession(_sessions[_sessionDeadlines.Min.SessionId], events, touched);
                sessions++;
                continue;
            }

            if (!lockDue)
            {
                break;
            }

            var due = _deadlines.Min;
            var entry = _resources[due.Resource];
            if (due.Kind == LockDeadlineKind.Lease)
            {
                var hold = RemoveHold(entry, due.ClientId) ?? throw new InvalidOperationException($"lease deadline without hold: {due}");
                events.Add(new LockEvent.LeaseExpired(entry.Name, due.ClientId, hold.Mode, hold.Token));
                leases++;
            }
            else
            {
                var waiter = RemoveWaiter(entry, due.ClientId, endedAs: "timeout") ?? throw new InvalidOperationException($"wait deadline without waiter: {due}");
                events.Add(new LockEvent.WaitTimedOut(entry.Name, due.ClientId, waiter.Mode));
                waits++;
            }

            touched.Add(entry.Name);
        }

        foreach (var name in touched)
        {
            var entry = _resources[name];
            Promote(entry, index, cmd.NowMs, events);
            DropIfEmpty(entry);
        }

        return new LockOutcome.ExpiryApplied(leases, waits, sessions) { Events = events };
    }

    /// <summary>
    /// Grants the head of the queue, then every waiter right behind it that fits too (consecutive shared waiters go in
    /// together), stopping at the first that does not fit: FIFO, so no one overtakes a blocked waiter.
    /// </summary>
    private void Promote(LockResourceEntry entry, long index, long nowMs, List<LockEvent> events)
    {
        var bound = entry.Queue.Count;
        for (var i = 0; i < bound && entry.Queue.First is { } head && entry.CanGrant(head.Value.ClientId, head.Value.Mode); i++)
        {
            var waiter = head.Value;
            RemoveWaiter(entry, waiter.ClientId, endedAs: null, granted: true);
            var leaseEnd = waiter.SessionId == 0 ? nowMs + waiter.TtlMs : 0;
            Grant(entry, waiter.ClientId, waiter.Mode, index, leaseEnd, waiter.RequestIndex, waiter.SessionId);
            var expiresAt = waiter.SessionId == 0 ? leaseEnd : _sessions[waiter.SessionId].ExpiresAtMs;
            AnswerWaitedRequest(waiter, new LockOutcome.Acquired(index, expiresAt, waiter.Mode, AlreadyHeld: false));
            events.Add(new LockEvent.Granted(entry.Name, waiter.ClientId, waiter.Mode, index, expiresAt));
        }

        // A non-empty queue must be blocked by a holder; otherwise its head would starve.
        if (entry.Queue.First is { } first && (entry.Holders.Count == 0 || entry.CanGrant(first.Value.ClientId, first.Value.Mode)))
        {
            throw new InvalidOperationException($"queue of {entry.Name} has a grantable head {first.Value.ClientId}");
        }
    }

    /// <summary>A grant: <paramref name="expiresAtMs"/> is the lease's end, 0 for a hold of session <paramref name="sessionId"/>.</summary>
    private void Grant(LockResourceEntry entry, string clientId, LockMode mode, long index, long expiresAtMs, long requestIndex, long sessionId)
    {
        if (!entry.CanGrant(clientId, mode))
        {
            throw new InvalidOperationException($"grant of {mode} on {entry.Name} to {clientId} conflicts with the holders");
        }

        // Several shared waiters promoted by one command share its index; a later command always has a larger one.
        if (index < entry.FencingToken)
        {
            throw new InvalidOperationException($"fencing token {index} on {entry.Name} is below {entry.FencingToken}");
        }

        if (entry.Holders.TryGetValue(clientId, out var hold))
        {
            Require(hold.SessionId == sessionId, $"upgrade of {clientId}'s hold on {entry.Name} across sessions");
            RemoveLease(entry, clientId, hold);
            hold.Mode = mode;
            hold.Token = index;
            hold.ExpiresAtMs = expiresAtMs;
            hold.RequestIndex = requestIndex;
        }
        else
        {
            hold = new LockHolderEntry(mode, index, expiresAtMs, requestIndex) { SessionId = sessionId };
            entry.Holders.Add(clientId, hold);
            _holdCounts[clientId] = _holdCounts.GetValueOrDefault(clientId) + 1;
            if (sessionId != 0)
            {
                _sessions[sessionId].Holds.Add((entry.Name, clientId));
            }
        }

        entry.FencingToken = index;
        if (hold.SessionId == 0)
        {
            _deadlines.Add(LeaseDeadline(entry, clientId, hold));
        }
    }

    /// <summary>Takes a hold's lease out of the deadline index (a session's hold has none).</summary>
    private void RemoveLease(LockResourceEntry entry, string clientId, LockHolderEntry hold)
    {
        if (hold.SessionId == 0)
        {
            _deadlines.Remove(LeaseDeadline(entry, clientId, hold));
        }
    }

    private void SetLease(LockResourceEntry entry, string clientId, LockHolderEntry hold, long expiresAtMs)
    {
        Require(hold.SessionId == 0, $"lease set on {clientId}'s hold of {entry.Name}, which belongs to session {hold.SessionId}");
        _deadlines.Remove(LeaseDeadline(entry, clientId, hold));
        hold.ExpiresAtMs = expiresAtMs;
        _deadlines.Add(LeaseDeadline(entry, clientId, hold));
    }

    private LockHolderEntry? RemoveHold(LockResourceEntry entry, string clientId)
    {
        if (!entry.Holders.Remove(clientId, out var hold))
        {
            return null;
        }

        RemoveLease(entry, clientId, hold);
        if (hold.SessionId != 0)
        {
            _sessions[hold.SessionId].Holds.Remove((entry.Name, clientId));
        }

        var count = _holdCounts.GetValueOrDefault(clientId);
        if (count <= 1)
        {
            Require(_holdCounts.Remove(clientId), $"hold of {clientId} on {entry.Name} was not counted");
        }
        else
        {
            _holdCounts[clientId] = count - 1;
        }

        return hold;
    }

    private void Enqueue(LockResourceEntry entry, LockWaiterEntry waiter)
    {
        var node = entry.Queue.AddLast(waiter);
        entry.WaiterNodes.Add(waiter.ClientId, node);
        _waitingOn.Add(waiter.ClientId, entry.Name);
        _deadlines.Add(new LockDeadline(waiter.DeadlineMs, LockDeadlineKind.Wait, entry.Name, waiter.ClientId));
        if (waiter.SessionId != 0)
        {
            _sessions[waiter.SessionId].Waits.Add((entry.Name, waiter.ClientId));
        }
    }

    /// <summary>
    /// Takes a waiter out of the queue. One that leaves without a grant has its request id answered
    /// <paramref name="endedAs"/> (<c>timeout</c>, <c>cancelled</c>, …); a withdrawn one (null) has it forgotten already.
    /// </summary>
    private LockWaiterEntry? RemoveWaiter(LockResourceEntry entry, string clientId, string? endedAs, bool granted = false)
    {
        if (!entry.WaiterNodes.Remove(clientId, out var node))
        {
            return null;
        }

        entry.Queue.Remove(node);
        _waitingOn.Remove(clientId);
        if (node.Value.SessionId != 0)
        {
            _sessions[node.Value.SessionId].Waits.Remove((entry.Name, clientId));
        }

        if (!granted && endedAs is not null)
        {
            AnswerEndedWait(node.Value, endedAs);
        }

        _deadlines.Remove(new LockDeadline(node.Value.DeadlineMs, LockDeadlineKind.Wait, entry.Name, clientId));
        return node.Value;
    }

    private void DropIfEmpty(LockResourceEntry entry)
    {
        if (entry.IsEmpty)
        {
            _resources.Remove(entry.Name);
        }
    }

    private static LockDeadline LeaseDeadline(LockResourceEntry entry, string clientId, LockHolderEntry hold) =>
        new(hold.ExpiresAtMs, LockDeadlineKind.Lease, entry.Name, clientId);
}
