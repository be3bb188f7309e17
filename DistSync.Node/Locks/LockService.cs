using System.Diagnostics;
using DistSync.Node.Consensus;

namespace DistSync.Node.Locks;

/// <summary>
/// Turns lock requests into Raft commands and their outcomes into answers. No clock of this node decides anything:
/// the leader stamps each command's time (see RaftHost.Clock). A blocked acquire is answered by this node when the
/// grant, timeout or cancellation is applied here; if its caller goes away first, the request is withdrawn.
/// </summary>
public sealed partial class LockService(RaftHost raft, LockStateMachine machine, LockTelemetry telemetry, TimeProvider time, ILogger<LockService> logger)
{
    /// <summary>How long past its <c>wait_ms</c> a caller waits for the committed timeout before giving up itself.</summary>
    private static readonly TimeSpan WaitGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Acquires, waiting up to <paramref name="waitMs"/>. <paramref name="callerGone"/> fires when the caller went away
    /// (the HTTP request was aborted): then the request is withdrawn through Raft, and a grant it got meanwhile is
    /// released, so nobody holds a lock that nobody knows of. With a <paramref name="requestId"/>, the caller may come back
    /// for this very answer: the table then decides by which comes first, the repeat (it keeps the grant, and the withdraw
    /// does nothing) or the withdraw (the repeat is a new attempt), so a lock is never taken from a client told it holds it.
    /// With a <paramref name="session"/>, the hold and the wait belong to it (<paramref name="ttlMs"/> is not used).
    /// </summary>
    public async Task<LockAnswer> AcquireAsync(string resource, string clientId, LockMode mode, long ttlMs, long waitMs, string? requestId, SessionClaim? session, CancellationToken callerGone)
    {
        using var activity = telemetry.StartAcquire(resource, clientId, mode.ToWireName());
        var started = Stopwatch.GetTimestamp();
        var command = new LockCommand.Acquire(resource, clientId, mode, session is null ? ttlMs : 0, waitMs, 0)
        {
            RequestId = requestId,
            SessionId = session?.SessionId,
            Owner = session?.Owner,
        };
        var applied = await ProposeAsync(command);
        var answer = applied is { Outcome: LockOutcome.Waiting, Wait: { } wait }
            ? await AwaitGrantAsync(wait, command, started, callerGone)
            : Answer(applied, resource, clientId, started, session?.SessionId);
        if (callerGone.IsCancellationRequested && answer.Outcome is "acquired" or "abandoned")
        {
            // The caller will never hear of a grant: take back what this request got (a hold it had before stays).
            await WithdrawAsync(resource, clientId, applied.Index, requestId);
            answer = answer with { Outcome = "abandoned" };
        }

        telemetry.Answered(activity, answer.Outcome, Stopwatch.GetElapsedTime(started), answer.FencingToken);
        if (answer.Outcome is not "acquired")
        {
            activity?.SetStatus(ActivityStatusCode.Ok, answer.Outcome);
        }

        return answer;
    }

    /// <summary>Releases the hold (and any wait); with <paramref name="fencingToken"/>, only the hold it names.</summary>
    public async Task<LockAnswer> ReleaseAsync(string resource, string clientId, long? fencingToken, string? requestId) =>
        Answer(await ProposeAsync(new LockCommand.Release(resource, clientId, 0) { FencingToken = fencingToken, RequestId = requestId }), resource, clientId, Stopwatch.GetTimestamp(), null);

    public async Task<LockAnswer> RenewAsync(string resource, string clientId, long ttlMs, long? fencingToken, string? requestId) =>
        Answer(await ProposeAsync(new LockCommand.Renew(resource, clientId, ttlMs, 0) { FencingToken = fencingToken, RequestId = requestId }), resource, clientId, Stopwatch.GetTimestamp(), null);

    /// <summary>The leader's periodic decision that time has passed: ends due leases and waits at the time it stamps.</summary>
    public async Task ExpireDueAsync() =>
        await ProposeAsync(new LockCommand.ExpireDue(0));

    private async Task<LockAnswer> AwaitGrantAsync(Task<LockEvent> wait, LockCommand.Acquire acquire, long started, CancellationToken callerGone)
    {
        var (resource, clientId, waitMs) = (acquire.Resource, acquire.ClientId, acquire.WaitMs);
        try
        {
            var change = await wait.WaitAsync(TimeSpan.FromMilliseconds(waitMs) + WaitGrace, time, callerGone);
            return change switch
            {
                // A grant from the queue starts a full lease at the granting entry, after this request was sent. A session's
                // grant lasts as the session does: what is left of it by this node's reading of the clock, which is at or past
                // the granting entry's time, so never more than was left there.
                LockEvent.Granted granted when acquire.SessionId is { } sessionId =>
                    Granted(resource, clientId, granted.Mode, granted.Token, Math.Max(0, granted.ExpiresAtMs - raft.ClockNowMs), alreadyHeld: false, started, sessionId),
                LockEvent.Granted granted => Granted(resource, clientId, granted.Mode, granted.Token, acquire.TtlMs, alreadyHeld: false, started, null),
                LockEvent.SessionWaitEnded ended => new LockAnswer("session_not_found", null,
                    new SessionGone(ended.SessionId, $"Session {ended.SessionId} ended while this acquire waited; the wait was withdrawn with it.")),
                LockEvent.WaitTimedOut => new LockAnswer("timeout", null, new LockConflictResponse("timeout", resource, clientId, $"Not granted within wait_ms={waitMs}.") { WaitedMs = Elapsed(started) }),
                _ => new LockAnswer("cancelled", null, new LockConflictResponse("cancelled", resource, clientId, "The wait was cancelled by a release from the same client.") { WaitedMs = Elapsed(started) }),
            };
        }
        catch (OperationCanceledException) when (callerGone.IsCancellationRequested)
        {
            return new LockAnswer("abandoned", null, new LockConflictResponse("abandoned", resource, clientId, "The caller went away; the wait was withdrawn."));
        }
        catch (TimeoutException)
        {
            // No committed answer reached this node (no leader for a while). The wait still ends by its
            // committed deadline; a release here would also drop holds the client has, so none is sent.
            return new LockAnswer("timeout", null, new LockConflictResponse("timeout", resource, clientId,
                $"No committed answer within wait_ms={waitMs} (is the cluster electing a leader?); acquire again to learn whether it was granted.") { WaitedMs = Elapsed(started) });
        }
    }

    /// <summary>
    /// Withdraws the acquire applied at <paramref name="requestIndex"/>. Best effort: if no leader takes it, the wait
    /// still ends at its deadline and a grant at its lease end, as they would for a client that crashed.
    /// </summary>
    private async Task WithdrawAsync(string resource, string clientId, long requestIndex, string? requestId)
    {
        try
        {
            var withdrawn = await ProposeAsync(new LockCommand.Withdraw(resource, clientId, requestIndex, 0) { RequestId = requestId });
            LogWithdrawn(resource, clientId, requestIndex, withdrawn.Outcome is LockOutcome.Released { HoldReleased: true } ? "its grant was released" : "its wait was withdrawn");
        }
        catch (RaftUnavailableException ex)
        {
            LogWithdrawFailed(resource, clientId, ex.Message);
        }
    }

    private LockAnswer Answer(LockApplied applied, string resource, string clientId, long started, long? sessionId) => applied.Outcome switch
    {
        // A repeated request's grant may have ended since: nothing left then, never a negative lease.
        LockOutcome.Acquired a => Granted(resource, clientId, a.Mode, a.Token, Math.Max(0, a.ExpiresAtMs - applied.ClockMs), a.AlreadyHeld, started, sessionId),
        LockOutcome.Busy busy => new LockAnswer("busy", null, new LockConflictResponse("busy", resource, clientId,
            $"Held by {string.Join(", ", busy.Holders)}{(busy.Queued > 0 ? $" with {busy.Queued} waiting" : "")}; wait_ms was 0.") { Holders = busy.Holders }),
        LockOutcome.Deadlock deadlock => new LockAnswer("deadlock", null, new LockConflictResponse("deadlock", resource, clientId,
            $"Waiting would close the cycle {string.Join(" -> ", deadlock.Cycle)}.") { Cycle = deadlock.Cycle }),
        LockOutcome.AlreadyWaiting already => new LockAnswer("already_waiting", null, new LockConflictResponse("already_waiting", resource, clientId,
            $"The client already waits for '{already.Resource}'; a client waits for one resource at a time.")),
        LockOutcome.LimitReached limit => new LockAnswer("limit_reached", null, new LockConflictResponse("limit_reached", resource, clientId, $"Limit reached: {limit.Limit}.")),
        LockOutcome.Released released => new LockAnswer("released", null, new ReleasedResponse("released", resource, clientId, released.HoldReleased, released.WaitCancelled)),
        LockOutcome.NotHeld => new LockAnswer("not_held", null, new LockConflictResponse("not_held", resource, clientId, "The client neither holds nor waits for this resource.")),
        LockOutcome.StaleToken stale => new LockAnswer("stale_token", null, new LockConflictResponse("stale_token", resource, clientId,
            $"The fencing token names an earlier hold; the client's hold now has token {stale.CurrentToken}, and it was left as it is.") { CurrentFencingToken = stale.CurrentToken }),
        LockOutcome.Renewed renewed => new LockAnswer("renewed", renewed.Token, new RenewedResponse("renewed", resource, clientId, renewed.Token,
            ExpiresAt(Math.Max(0, renewed.ExpiresAtMs - applied.ClockMs)), Math.Max(0, renewed.ExpiresAtMs - applied.ClockMs))),
        LockOutcome.SessionMismatch mismatch => new LockAnswer("session_mismatch", null, new LockConflictResponse("session_mismatch", resource, clientId,
            mismatch.HeldSessionId is { } held
                ? $"The client's hold or wait on this resource belongs to session {held}; name that session to repeat or upgrade it, or release it first."
                : "The client's hold or wait on this resource has a lease of its own; repeat or upgrade it with ttl_ms, or release it first.")
        {
            SessionId = mismatch.HeldSessionId,
        }),
        LockOutcome.SessionHold hold => new LockAnswer("session_hold", null, new LockConflictResponse("session_hold", resource, clientId,
            $"This hold belongs to session {hold.SessionId} and lasts as long as it: keep the session alive instead.") { SessionId = hold.SessionId }),
        LockOutcome.SessionNotFound gone => new LockAnswer("session_not_found", null, SessionNotOpen(gone.SessionId)),
        LockOutcome.Rejected rejected => new LockAnswer("invalid", null, rejected.Error),
        LockOutcome.RefusedBefore { Status: "session_not_found" } when sessionId is { } gone => new LockAnswer("session_not_found", null, SessionNotOpen(gone)),
        LockOutcome.RefusedBefore refused => new LockAnswer(refused.Status, null, new LockConflictResponse(refused.Status, resource, clientId,
            $"This request_id was answered '{refused.Status}' before; a request id names one request, and a repeat of it gets its first answer.")),
        var other => throw new InvalidOperationException($"Unexpected lock outcome {other.GetType().Name}."),
    };

    private LockAnswer Granted(string resource, string clientId, LockMode mode, long token, long ttlRemainingMs, bool alreadyHeld, long started, long? sessionId) =>
        new("acquired", token, new AcquiredResponse("acquired", resource, clientId, mode.ToWireName(), token, ExpiresAt(ttlRemainingMs), ttlRemainingMs, alreadyHeld, Elapsed(started))
        {
            SessionId = sessionId,
        });

    /// <summary>A lease end for people to read, on this node's wall clock; clients count <c>ttl_remaining_ms</c> instead.</summary>
    private DateTimeOffset ExpiresAt(long remainingMs) => time.GetUtcNow().AddMilliseconds(remainingMs);

    /// <summary>
    /// Not cancelled by the caller going away: a command that may commit must be followed to its end, or a
    /// grant nobody hears of would block the resource until its lease ends. The Raft proposal timeout bounds it.
    /// </summary>
    private Task<LockApplied> ProposeAsync(LockCommand command) => raft.ProposeAsync(machine, command, CancellationToken.None);

    private static double Elapsed(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);

    [LoggerMessage(3002, LogLevel.Information, "Acquire of {Resource} by {ClientId} (entry {RequestIndex}) abandoned by its caller: {What}")]
    private partial void LogWithdrawn(string resource, string clientId, long requestIndex, string what);

    [LoggerMessage(3003, LogLevel.Warning, "Acquire of {Resource} by {ClientId} abandoned by its caller, but the withdraw was not taken ({Reason}); its wait or lease ends by its deadline")]
    private partial void LogWithdrawFailed(string resource, string clientId, string reason);
}

/// <summary>An outcome word, the fencing token if granted, and the body to send.</summary>
public sealed record LockAnswer(string Outcome, long? FencingToken, object Body);
