namespace DistSync.Node.Locks;

/// <summary>
/// Sessions, in the manner of etcd's leases: a session ends <c>TtlMs</c> after its last keep-alive by the replicated
/// clock (through <see cref="LockCommand.ExpireDue"/>, as a lease does), or when closed. Holds and waits that belong to a
/// session need no renewing of their own; when it ends, the one command that ends it releases every hold and withdraws
/// every wait of it, then lets the waiters behind them in, so hand-over keeps its FIFO order.
/// Only the owner (the token that opened it) may use a session; to anyone else it does not exist.
/// </summary>
public sealed partial class LockTable
{
    private readonly SortedDictionary<long, LockSessionEntry> _sessions = [];

    /// <summary>Every session's end, soonest first (then by id, so every node ends them in one order).</summary>
    private readonly SortedSet<(long AtMs, long SessionId)> _sessionDeadlines = [];

    /// <summary>Owner → how many sessions it has open, the quantity <see cref="LockLimits.MaxSessionsPerOwner"/> bounds.</summary>
    private readonly Dictionary<string, int> _sessionsByOwner = new(StringComparer.Ordinal);

    /// <summary>(owner, create request id) → the session that create opened, while it lives.</summary>
    private readonly Dictionary<(string Owner, string RequestId), long> _sessionsByRequest = [];

    /// <summary>Sessions open now.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>One open session, or null; the caller shows it to its owner only.</summary>
    public LockSessionState? GetSession(long sessionId)
    {
        if (!_sessions.TryGetValue(sessionId, out var session))
        {
            return null;
        }

        var holds = new List<LockSessionHoldState>(session.Holds.Count);
        foreach (var (resource, client) in session.Holds)
        {
            var hold = _resources[resource].Holders[client];
            holds.Add(new LockSessionHoldState(resource, client, hold.Mode, hold.Token));
        }

        var waits = new List<LockSessionWaitState>(session.Waits.Count);
        foreach (var (resource, client) in session.Waits)
        {
            var waiter = _resources[resource].WaiterNodes[client].Value;
            waits.Add(new LockSessionWaitState(resource, client, waiter.Mode, waiter.DeadlineMs));
        }

        return new LockSessionState(session.Id, session.Owner, session.TtlMs, session.ExpiresAtMs, holds, waits);
    }

    private LockOutcome ApplyCreateSession(LockCommand.CreateSession cmd, long index)
    {
        if (cmd.RequestId is { } requestId && _sessionsByRequest.TryGetValue((cmd.Owner, requestId), out var existingId))
        {
            // The create was applied before and its answer lost. Answering the session it opened keeps the caller's count
            // safe: the session is kept alive from this command, whose time is after the repeat was sent.
            var existing = _sessions[existingId];
            if (existing.TtlMs != cmd.TtlMs)
            {
                return new LockOutcome.Rejected(new(LockRequestValidator.RequestIdField, "was already used by this token for a session with another ttl_ms"));
            }

            ExtendSession(existing, cmd.NowMs);
            return new LockOutcome.SessionCreated(existing.Id, existing.TtlMs, existing.ExpiresAtMs, Existing: true);
        }

        if (_sessions.Count >= LockLimits.MaxSessions)
        {
            return new LockOutcome.LimitReached(nameof(LockLimits.MaxSessions));
        }

        if (_sessionsByOwner.GetValueOrDefault(cmd.Owner) >= LockLimits.MaxSessionsPerOwner)
        {
            return new LockOutcome.LimitReached(nameof(LockLimits.MaxSessionsPerOwner));
        }

        var session = new LockSessionEntry(index, cmd.Owner, cmd.TtlMs, cmd.NowMs + cmd.TtlMs, cmd.RequestId);
        AddSession(session);
        return new LockOutcome.SessionCreated(session.Id, session.TtlMs, session.ExpiresAtMs, Existing: false);
    }

    private LockOutcome ApplyKeepAlive(LockCommand.KeepAlive cmd)
    {
        if (FindSession(cmd.SessionId, cmd.Owner) is not { } session)
        {
            return new LockOutcome.SessionNotFound(cmd.SessionId);
        }

        ExtendSession(session, cmd.NowMs);
        return new LockOutcome.SessionKeptAlive(session.Id, session.TtlMs, session.ExpiresAtMs);
    }

    private LockOutcome ApplyCloseSession(LockCommand.CloseSession cmd, long index)
    {
        if (FindSession(cmd.SessionId, cmd.Owner) is not { } session)
        {
            return new LockOutcome.SessionNotFound(cmd.SessionId);
        }

        var events = new List<LockEvent>();
        var touched = new SortedSet<string>(StringComparer.Ordinal);
        var (holds, waits) = EndSession(session, events, touched);
        foreach (var name in touched)
        {
            var entry = _resources[name];
            Promote(entry, index, cmd.NowMs, events);
            DropIfEmpty(entry);
        }

        return new LockOutcome.SessionClosed(session.Id, holds, waits) { Events = events };
    }

    /// <summary>The sender's open session with this id, or null (ended, never opened, or another owner's).</summary>
    private LockSessionEntry? FindSession(long sessionId, string owner) =>
        _sessions.TryGetValue(sessionId, out var session) && string.Equals(session.Owner, owner, StringComparison.Ordinal) ? session : null;

    /// <summary>
    /// A keep-alive: the session ends no earlier than <paramref name="nowMs"/> + its TTL. Never earlier than it was to end
    /// (a command's time may lag a later one's only in logs written before leader time).
    /// </summary>
    private void ExtendSession(LockSessionEntry session, long nowMs)
    {
        var expiresAt = Math.Max(session.ExpiresAtMs, nowMs + session.TtlMs);
        _sessionDeadlines.Remove((session.ExpiresAtMs, session.Id));
        session.ExpiresAtMs = expiresAt;
        _sessionDeadlines.Add((session.ExpiresAtMs, session.Id));
    }

    /// <summary>
    /// Releases every hold and withdraws every wait of the session, in (resource, client) order, and forgets the session.
    /// The caller lets the waiters behind them in on the <paramref name="touched"/> resources, once every session it ends is gone.
    /// </summary>
    private (int Holds, int Waits) EndSession(LockSessionEntry session, List<LockEvent> events, SortedSet<string> touched)
    {
        var holds = session.Holds.Count;
        foreach (var (resource, client) in session.Holds.ToList())
        {
            var hold = RemoveHold(_resources[resource], client)!;
            events.Add(new LockEvent.SessionHoldReleased(resource, client, hold.Mode, hold.Token, session.Id));
            touched.Add(resource);
        }

        var waits = session.Waits.Count;
        foreach (var (resource, client) in session.Waits.ToList())
        {
            var waiter = RemoveWaiter(_resources[resource], client, endedAs: "session_not_found")!;
            events.Add(new LockEvent.SessionWaitEnded(resource, client, waiter.Mode, session.Id));
            touched.Add(resource);
        }

        RemoveSession(session);
        return (holds, waits);
    }

    private void AddSession(LockSessionEntry session)
    {
        _sessions.Add(session.Id, session);
        _sessionDeadlines.Add((session.ExpiresAtMs, session.Id));
        _sessionsByOwner[session.Owner] = _sessionsByOwner.GetValueOrDefault(session.Owner) + 1;
        if (session.RequestId is { } requestId)
        {
            _sessionsByRequest.Add((session.Owner, requestId), session.Id);
        }
    }

    private void RemoveSession(LockSessionEntry session)
    {
        Require(session.RequestCount == 0, $"session {session.Id} removed with holds or waits");
        _sessions.Remove(session.Id);
        _sessionDeadlines.Remove((session.ExpiresAtMs, session.Id));
        var count = _sessionsByOwner.GetValueOrDefault(session.Owner);
        if (count <= 1)
        {
            _sessionsByOwner.Remove(session.Owner);
        }
        else
        {
            _sessionsByOwner[session.Owner] = count - 1;
        }

        if (session.RequestId is { } requestId)
        {
            _sessionsByRequest.Remove((session.Owner, requestId));
        }
    }

    /// <summary>When a hold ends: its own lease's end, or its session's.</summary>
    private long ExpiresAtOf(LockHolderEntry hold) => hold.SessionId == 0 ? hold.ExpiresAtMs : _sessions[hold.SessionId].ExpiresAtMs;
}
