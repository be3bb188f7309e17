namespace DistSync.Node.Locks;

/// <summary>
/// The lock manager's replicated state machine: every node applies the same committed commands in log order
/// and so holds the same table. It is pure — no clock (time comes in each command), no randomness, no I/O —
/// and every output is ordered (ordinal order of names, queue order), never by hash order.
/// </summary>
/// <remarks>
/// Rules (docs/semantics.md, Locks):
/// <list type="bullet">
/// <item>Many shared holders or one exclusive holder. A new request is granted at once only if the queue is empty
/// and it is compatible with the holders; otherwise it waits at the tail (FIFO), so a waiting exclusive request
/// blocks later shared ones. When holders leave, the head of the queue and every compatible waiter right behind it
/// are granted by that same command.</item>
/// <item>A repeated acquire in the mode held (or shared while holding exclusive) keeps the token and renews the lease.
/// Shared→exclusive is granted at once to the sole holder, else it waits like any request (keeping the shared hold).</item>
/// <item>Every grant's fencing token is the Raft index of the command that made it, including grants to waiters
/// promoted by a release or an expiry; indices grow, so tokens strictly grow per resource.</item>
/// <item>Leases end only by <see cref="LockCommand.ExpireDue"/>, which the leader proposes when
/// <see cref="NextDeadlineMs"/> has passed; a hold whose lease time passed but that no expiry has removed yet is
/// still held (and may be renewed). Wait deadlines and sessions' ends work the same way.</item>
/// <item>A hold or wait of a session has no lease: it ends with its session, which ends by expiry or close, releasing
/// every hold and withdrawing every wait of it in that one command (see LockTable.Sessions).</item>
/// <item>A client waits for at most one resource at a time: while it waits, any other acquire from it is refused
/// with <see cref="LockOutcome.AlreadyWaiting"/>. A waiting client is blocked in its acquire, and the rule keeps
/// grants from ever closing a cycle (only a new wait can), so checking new waits finds every deadlock.</item>
/// <item>A request that would wait is refused with <see cref="LockOutcome.Deadlock"/> if its wait would close a cycle
/// in the wait-for graph (a waiter waits for the holders it conflicts with and the conflicting waiters ahead).</item>
/// <item>A resource with neither holders nor waiters is dropped; its next grant still gets a larger token because
/// tokens are log indices.</item>
/// </list>
/// Not thread-safe: the host's apply loop owns the table; other threads read through the host (under its lock, or
/// from a copy it publishes after each apply).
/// </remarks>
public sealed partial class LockTable
{
    private readonly SortedDictionary<string, LockResourceEntry> _resources = new(StringComparer.Ordinal);

    /// <summary>Waiting client → the resource it waits for (at most one, see the remarks).</summary>
    private readonly Dictionary<string, string> _waitingOn = new(StringComparer.Ordinal);

    /// <summary>Client → how many resources it holds; a client holding nothing cannot be part of a cycle.</summary>
    private readonly Dictionary<string, int> _holdCounts = new(StringComparer.Ordinal);

    /// <summary>Every lease end and wait deadline, soonest first.</summary>
    private readonly SortedSet<LockDeadline> _deadlines = [];

    /// <summary>The index of the last applied command (not in the snapshot: Raft's snapshot metadata carries it).</summary>
    private long _lastIndex;

    /// <summary>Resources with at least one holder.</summary>
    public int ResourceCount => _resources.Count;

    /// <summary>Clients waiting for a resource.</summary>
    public int WaitingCount => _waitingOn.Count;

    /// <summary>
    /// Applies a committed command at Raft <paramref name="index"/> (which must exceed every index applied before).
    /// An invalid command is answered <see cref="LockOutcome.Rejected"/> and changes nothing.
    /// </summary>
    public LockOutcome Apply(LockCommand command, long index)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (index <= _lastIndex)
        {
            throw new InvalidOperationException($"lock command index {index} does not follow {_lastIndex}");
        }

        _lastIndex = index;
        if (LockRequestValidator.Validate(command) is { } error)
        {
            return new LockOutcome.Rejected(error);
        }

        ForgetExpiredRequests(command.NowMs);
        if (AnswerRepeatedRequest(command) is { } repeated)
        {
            return repeated;
        }

        var outcome = command switch
        {
            LockCommand.Acquire a => ApplyAcquire(a, index),
            LockCommand.Release r => ApplyRelease(r, index),
            LockCommand.Renew n => ApplyRenew(n),
            LockCommand.ExpireDue e => ApplyExpireDue(e, index),
            LockCommand.Withdraw w => ApplyWithdraw(w, index),
            LockCommand.CreateSession c => ApplyCreateSession(c, index),
            LockCommand.KeepAlive k => ApplyKeepAlive(k),
            LockCommand.CloseSession c => ApplyCloseSession(c, index),
            _ => throw new InvalidOperationException($"unknown lock command {command.GetType().Name}"),
        };
        RememberRequest(command, outcome);
        return outcome;
    }

    private LockOutcome ApplyAcquire(LockCommand.Acquire cmd, long index)
    {
        LockSessionEntry? session = null;
        if (cmd.SessionId is { } sessionId && (session = FindSession(sessionId, cmd.Owner!)) is null)
        {
            return new LockOutcome.SessionNotFound(sessionId);
        }

        _resources.TryGetValue(cmd.Resource, out var entry);
        LockHolderEntry? held = null;
        entry?.Holders.TryGetValue(cmd.ClientId, out held);
        if (AnswerRepeat(cmd, entry, held, session) is { } answer)
        {
            return answer;
        }

        if (session is not null && session.RequestCount >= LockLimits.MaxRequestsPerSession)
        {
            return new LockOutcome.LimitReached(nameof(LockLimits.MaxRequestsPerSession));
        }

        if (entry is null)
        {
            if (_resources.Count >= LockLimits.MaxResources)
            {
                return new LockOutcome.LimitReached(nameof(LockLimits.MaxResources));
            }

            entry = new LockResourceEntry(cmd.Resource);
            _resources.Add(cmd.Resource, entry);
            return GrantNow(entry, cmd, index, session);
        }

        // The sole holder upgrades at once (it jumps no one: every waiter was waiting for it anyway). Anyone else is
        // granted at once only if no one is queued (FIFO) and it fits the holders.
        var grantable = held is not null
            ? entry.Holders.Count == 1
            : entry.Queue.Count == 0 && entry.CanGrant(cmd.ClientId, cmd.Mode);
        if (grantable)
        {
            return held is null && entry.ClientCount >= LockLimits.MaxClientsPerResource
                ? new LockOutcome.LimitReached(nameof(LockLimits.MaxClientsPerResource))
                : GrantNow(entry, cmd, index, session);
        }

        return Wait(entry, cmd, index, session);
    }

    /// <summary>The answer to a client that already holds or awaits something, or null to go on.</summary>
    private LockOutcome? AnswerRepeat(LockCommand.Acquire cmd, LockResourceEntry? entry, LockHolderEntry? held, LockSessionEntry? session)
    {
        // A hold is a session's or has a lease of its own, for good: a request naming another cannot repeat or upgrade it.
        var sessionId = session?.Id ?? 0;
        if (held is not null && held.SessionId != sessionId)
        {
            return new LockOutcome.SessionMismatch(held.SessionId == 0 ? null : held.SessionId);
        }

        // Already covered: the same mode again, or shared asked by the exclusive holder (exclusive already gives
        // everything shared does, so it is answered as satisfied and stays exclusive). Same token, lease renewed
        // (a session's hold has no lease: it lasts as long as the session).
        if (entry is not null && held is not null && (held.Mode == cmd.Mode || held.Mode == LockMode.Exclusive))
        {
            if (session is null)
            {
                SetLease(entry, cmd.ClientId, held, cmd.NowMs + cmd.TtlMs);
            }

            return new LockOutcome.Acquired(held.Token, ExpiresAtOf(held), held.Mode, AlreadyHeld: true);
        }

        if (!_waitingOn.TryGetValue(cmd.ClientId, out var waitingFor))
        {
            return null;
        }

        // A repeat of the pending request (e.g. a retried HTTP call) is answered with its place in the queue.
        if (entry is not null && string.Equals(waitingFor, cmd.Resource, StringComparison.Ordinal)
            && entry.WaiterNodes[cmd.ClientId].Value is { } pending && pending.Mode == cmd.Mode)
        {
            return pending.SessionId != sessionId
                ? new LockOutcome.SessionMismatch(pending.SessionId == 0 ? null : pending.SessionId)
                : new LockOutcome.Waiting(entry.PositionOf(cmd.ClientId), pending.DeadlineMs);
        }

        return new LockOutcome.AlreadyWaiting(waitingFor);
    }

    private LockOutcome.Acquired GrantNow(LockResourceEntry entry, LockCommand.Acquire cmd, long index, LockSessionEntry? session)
    {
        var expiresAt = session is null ? cmd.NowMs + cmd.TtlMs : 0;
        Grant(entry, cmd.ClientId, cmd.Mode, index, expiresAt, requestIndex: index, session?.Id ?? 0);
        return new LockOutcome.Acquired(index, session?.ExpiresAtMs ?? expiresAt, cmd.Mode, AlreadyHeld: false);
    }

    /// <summary>Queues the request at the tail, unless it does not want to wait, the queue is full, or it would deadlock.</summary>
    private LockOutcome Wait(LockResourceEntry entry, LockCommand.Acquire cmd, long index, LockSessionEntry? session)
    {
        if (cmd.WaitMs == 0)
        {
            return new LockOutcome.Busy([.. entry.Holders.Keys], entry.Queue.Count);
        }

        if (entry.ClientCount >= LockLimits.MaxClientsPerResource)
        {
            return new LockOutcome.LimitReached(nameof(LockLimits.MaxClientsPerResource));
        }

        if (FindCycle(entry, cmd.ClientId, cmd.Mode) is { } cycle)
        {
            return new LockOutcome.Deadlock(cycle);
        }

        var deadline = cmd.NowMs + cmd.WaitMs;
        Enqueue(entry, new LockWaiterEntry(cmd.ClientId, cmd.Mode, cmd.TtlMs, deadline, RequestIndex: index, cmd.RequestId, session?.Id ?? 0));
        return new LockOutcome.Waiting(entry.Queue.Count, deadline);
    }
}
