namespace DistSync.Node.Locks;

/// <summary>
/// Request ids: a retry whose first attempt may have been applied (its answer was lost, or the node said
/// <c>may_have_been_applied</c>) is answered from the first attempt and changes nothing. One id names one request with
/// one answer: a grant, a release, a renew, and a refusal too, since the copies of a request need not arrive in the
/// order they were sent (a retry may be answered <c>busy</c> before the first copy, forwarded slowly, is applied; that
/// copy must not then grant what the client was told it does not have). An acquire that waits is remembered as waiting
/// until its grant, or until its wait ends without one (timed out, cancelled, its session ended), which is then its
/// answer. Only a withdraw (its caller went away) forgets the id: the caller's repeat, if it comes, is a new attempt.
/// </summary>
public sealed partial class LockTable
{
    private static readonly Comparer<(long UntilMs, string ClientId, string RequestId)> ByExpiry = Comparer<(long UntilMs, string ClientId, string RequestId)>.Create(
        (a, b) => a.UntilMs != b.UntilMs ? a.UntilMs.CompareTo(b.UntilMs)
            : string.CompareOrdinal(a.ClientId, b.ClientId) is var byClient and not 0 ? byClient
            : string.CompareOrdinal(a.RequestId, b.RequestId));

    private readonly Dictionary<(string ClientId, string RequestId), LockRequestRecord> _requests = [];

    /// <summary>The same records, soonest forgotten first (ordinal, so every node forgets the same ones).</summary>
    private readonly SortedSet<(long UntilMs, string ClientId, string RequestId)> _requestsByExpiry = new(ByExpiry);

    /// <summary>Request ids remembered now.</summary>
    public int RememberedRequests => _requests.Count;

    /// <summary>The first attempt's answer to a repeated request, or null to apply it (a new id, or an acquire still waiting).</summary>
    private LockOutcome? AnswerRepeatedRequest(LockCommand command)
    {
        if (command.RequestId is not { } requestId || Target(command) is not { } target
            || !_requests.TryGetValue((target.ClientId, requestId), out var record))
        {
            return null;
        }

        if (!string.Equals(record.Resource, target.Resource, StringComparison.Ordinal) || record.Kind != target.Kind)
        {
            return new LockOutcome.Rejected(new(LockRequestValidator.RequestIdField, "was already used by this client for another request"));
        }

        record.Repeated = true;

        return record.Answer switch
        {
            null => null, // still waiting: the acquire's own repeat rule answers its place in the queue
            // The hold it made, with its lease as it is now (renewed since, perhaps); or as it was, if it has ended.
            LockOutcome.Acquired acquired when _resources.TryGetValue(record.Resource, out var entry)
                && entry.Holders.TryGetValue(target.ClientId, out var hold) && hold.Token == acquired.Token
                => acquired with { ExpiresAtMs = ExpiresAtOf(hold) },
            var answer => answer,
        };
    }

    /// <summary>Remembers the answer of a request that carried an id.</summary>
    private void RememberRequest(LockCommand command, LockOutcome outcome)
    {
        if (command.RequestId is not { } requestId || Target(command) is not { } target)
        {
            return;
        }

        LockOutcome? answer;
        switch (outcome)
        {
            case LockOutcome.Acquired or LockOutcome.Released or LockOutcome.Renewed:
                answer = outcome with { Events = [] };
                break;
            case LockOutcome.Waiting when !_requests.ContainsKey((target.ClientId, requestId)):
                answer = null;
                break;
            case LockOutcome.Waiting:
                return; // a repeat that joined its own wait: still waiting
            default:
                answer = RefusalOf(outcome) is { } status ? new LockOutcome.RefusedBefore(status) : null;
                if (answer is null)
                {
                    return;
                }

                break;
        }

        if (_requests.TryGetValue((target.ClientId, requestId), out var known))
        {
            known.Answer = answer;
            return;
        }

        if (_requests.Count >= LockLimits.MaxRememberedRequests)
        {
            Forget(_requestsByExpiry.Min);
        }

        var until = command.NowMs + LockLimits.RequestIdWindowMs;
        _requests.Add((target.ClientId, requestId), new LockRequestRecord(target.Resource, target.Kind, answer, until));
        _requestsByExpiry.Add((until, target.ClientId, requestId));
    }

    /// <summary>A waiter with a request id was granted: its grant is the answer a repeat gets.</summary>
    private void AnswerWaitedRequest(LockWaiterEntry waiter, LockOutcome.Acquired granted)
    {
        if (waiter.RequestId is { } requestId && _requests.TryGetValue((waiter.ClientId, requestId), out var record))
        {
            record.Answer = granted;
        }
    }

    /// <summary>A waiter left the queue without a grant: how its wait ended (<c>timeout</c>, …) is what a repeat is told.</summary>
    private void AnswerEndedWait(LockWaiterEntry waiter, string status)
    {
        if (waiter.RequestId is { } requestId && _requests.TryGetValue((waiter.ClientId, requestId), out var record) && record.Answer is null)
        {
            record.Answer = new LockOutcome.RefusedBefore(status);
        }
    }

    /// <summary>The status word of a refusal to remember; null for what is not one (an expiry or session command's outcome).</summary>
    private static string? RefusalOf(LockOutcome outcome) => outcome switch
    {
        LockOutcome.Busy => "busy",
        LockOutcome.Deadlock => "deadlock",
        LockOutcome.AlreadyWaiting => "already_waiting",
        LockOutcome.LimitReached => "limit_reached",
        LockOutcome.SessionMismatch => "session_mismatch",
        LockOutcome.SessionNotFound => "session_not_found",
        LockOutcome.NotHeld => "not_held",
        LockOutcome.StaleToken => "stale_token",
        LockOutcome.SessionHold => "session_hold",
        LockOutcome.RefusedBefore refused => refused.Status,
        _ => null,
    };

    /// <summary>
    /// Whether a withdraw of an abandoned request must do nothing: its caller came back with a repeat (same request id)
    /// that was applied first and so was told the wait's place or the grant. Whichever of the two is applied first decides,
    /// on every node alike.
    /// </summary>
    private bool ClaimedByARepeat(LockCommand.Withdraw withdraw) =>
        withdraw.RequestId is { } requestId && _requests.TryGetValue((withdraw.ClientId, requestId), out var record) && record.Repeated;

    /// <summary>A withdrawn request's id is forgotten: a repeat after it is a new attempt, never told of a grant taken back.</summary>
    private void ForgetWithdrawnRequest(LockCommand.Withdraw withdraw)
    {
        if (withdraw.RequestId is { } requestId && _requests.TryGetValue((withdraw.ClientId, requestId), out var record))
        {
            Forget((record.UntilMs, withdraw.ClientId, requestId));
        }
    }

    /// <summary>Forgets the ids whose window has passed (bounded per command; what is left goes with the next ones).</summary>
    private void ForgetExpiredRequests(long nowMs)
    {
        for (var i = 0; i < 64 && _requestsByExpiry.Count > 0 && _requestsByExpiry.Min.UntilMs <= nowMs; i++)
        {
            Forget(_requestsByExpiry.Min);
        }
    }

    private void Forget((long UntilMs, string ClientId, string RequestId) key)
    {
        _requestsByExpiry.Remove(key);
        _requests.Remove((key.ClientId, key.RequestId));
    }

    private static (string Resource, string ClientId, LockRequestKind Kind)? Target(LockCommand command) => command switch
    {
        LockCommand.Acquire a => (a.Resource, a.ClientId, LockRequestKind.Acquire),
        LockCommand.Release r => (r.Resource, r.ClientId, LockRequestKind.Release),
        LockCommand.Renew n => (n.Resource, n.ClientId, LockRequestKind.Renew),
        _ => null,
    };
}
