using System.Diagnostics;
using DistSync.Node.Consensus;

namespace DistSync.Node.Locks;

/// <summary>
/// Turns lock requests into Raft commands and their outcomes into answers. Time for every command is
/// read here once (the table itself never reads a clock); a blocked acquire is answered by this node
/// when the grant, timeout or cancellation is applied here.
/// </summary>
public sealed class LockService(RaftHost raft, LockTelemetry telemetry, TimeProvider time)
{
    /// <summary>How long past its <c>wait_ms</c> a caller waits for the committed timeout before giving up itself.</summary>
    private static readonly TimeSpan WaitGrace = TimeSpan.FromSeconds(5);

    public async Task<LockAnswer> AcquireAsync(string resource, string clientId, LockMode mode, long ttlMs, long waitMs)
    {
        using var activity = telemetry.StartAcquire(resource, clientId, mode.ToWireName());
        var started = Stopwatch.GetTimestamp();
        var command = new LockCommand.Acquire(resource, clientId, mode, ttlMs, waitMs, Now());
        var applied = await ProposeAsync(command);
        var answer = applied is { Outcome: LockOutcome.Waiting, Wait: { } wait }
            ? await AwaitGrantAsync(wait, resource, clientId, waitMs, started)
            : Answer(applied.Outcome, resource, clientId, started);
        telemetry.Answered(activity, answer.Outcome, Stopwatch.GetElapsedTime(started), answer.FencingToken);
        if (answer.Outcome is not "acquired")
        {
            activity?.SetStatus(ActivityStatusCode.Ok, answer.Outcome);
        }

        return answer;
    }

    public async Task<LockAnswer> ReleaseAsync(string resource, string clientId) =>
        Answer((await ProposeAsync(new LockCommand.Release(resource, clientId, Now()))).Outcome, resource, clientId, Stopwatch.GetTimestamp());

    public async Task<LockAnswer> RenewAsync(string resource, string clientId, long ttlMs) =>
        Answer((await ProposeAsync(new LockCommand.Renew(resource, clientId, ttlMs, Now()))).Outcome, resource, clientId, Stopwatch.GetTimestamp());

    /// <summary>The leader's periodic decision that time has passed: ends due leases and waits.</summary>
    public async Task ExpireDueAsync() =>
        await ProposeAsync(new LockCommand.ExpireDue(Now()));

    public long NowMs => Now();

    private async Task<LockAnswer> AwaitGrantAsync(Task<LockEvent> wait, string resource, string clientId, long waitMs, long started)
    {
        try
        {
            var change = await wait.WaitAsync(TimeSpan.FromMilliseconds(waitMs) + WaitGrace, time);
            return change switch
            {
                LockEvent.Granted granted => Granted(resource, clientId, granted.Mode, granted.Token, granted.ExpiresAtMs, alreadyHeld: false, started),
                LockEvent.WaitTimedOut => new LockAnswer("timeout", null, new LockConflictResponse("timeout", resource, clientId, $"Not granted within wait_ms={waitMs}.") { WaitedMs = Elapsed(started) }),
                _ => new LockAnswer("cancelled", null, new LockConflictResponse("cancelled", resource, clientId, "The wait was cancelled by a release from the same client.") { WaitedMs = Elapsed(started) }),
            };
        }
        catch (TimeoutException)
        {
            // No committed answer reached this node (no leader for a while). The wait still ends by its
            // committed deadline; a release here would also drop holds the client has, so none is sent.
            return new LockAnswer("timeout", null, new LockConflictResponse("timeout", resource, clientId,
                $"No committed answer within wait_ms={waitMs} (is the cluster electing a leader?); acquire again to learn whether it was granted.") { WaitedMs = Elapsed(started) });
        }
    }

    private LockAnswer Answer(LockOutcome outcome, string resource, string clientId, long started) => outcome switch
    {
        LockOutcome.Acquired a => Granted(resource, clientId, a.Mode, a.Token, a.ExpiresAtMs, a.AlreadyHeld, started),
        LockOutcome.Busy busy => new LockAnswer("busy", null, new LockConflictResponse("busy", resource, clientId,
            $"Held by {string.Join(", ", busy.Holders)}{(busy.Queued > 0 ? $" with {busy.Queued} waiting" : "")}; wait_ms was 0.") { Holders = busy.Holders }),
        LockOutcome.Deadlock deadlock => new LockAnswer("deadlock", null, new LockConflictResponse("deadlock", resource, clientId,
            $"Waiting would close the cycle {string.Join(" -> ", deadlock.Cycle)}.") { Cycle = deadlock.Cycle }),
        LockOutcome.AlreadyWaiting already => new LockAnswer("already_waiting", null, new LockConflictResponse("already_waiting", resource, clientId,
            $"The client already waits for '{already.Resource}'; a client waits for one resource at a time.")),
        LockOutcome.LimitReached limit => new LockAnswer("limit_reached", null, new LockConflictResponse("limit_reached", resource, clientId, $"Limit reached: {limit.Limit}.")),
        LockOutcome.Released released => new LockAnswer("released", null, new ReleasedResponse("released", resource, clientId, released.HoldReleased, released.WaitCancelled)),
        LockOutcome.NotHeld => new LockAnswer("not_held", null, new LockConflictResponse("not_held", resource, clientId, "The client neither holds nor waits for this resource.")),
        LockOutcome.Renewed renewed => new LockAnswer("renewed", renewed.Token, new RenewedResponse("renewed", resource, clientId, renewed.Token, DateTimeOffset.FromUnixTimeMilliseconds(renewed.ExpiresAtMs))),
        LockOutcome.Rejected rejected => new LockAnswer("invalid", null, rejected.Error),
        _ => throw new InvalidOperationException($"Unexpected lock outcome {outcome.GetType().Name}."),
    };

    private static LockAnswer Granted(string resource, string clientId, LockMode mode, long token, long expiresAtMs, bool alreadyHeld, long started) =>
        new("acquired", token, new AcquiredResponse("acquired", resource, clientId, mode.ToWireName(), token, DateTimeOffset.FromUnixTimeMilliseconds(expiresAtMs), alreadyHeld, Elapsed(started)));

    /// <summary>
    /// Not cancelled by the caller going away: a command that may commit must be followed to its end, or a
    /// grant nobody hears of would block the resource until its lease ends. The Raft proposal timeout bounds it.
    /// </summary>
    private async Task<LockApplied> ProposeAsync(LockCommand command) =>
        (LockApplied)(await raft.ProposeAsync(LockStateMachine.CommandTag, LockCommandCodec.Encode(command), CancellationToken.None))!;

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static double Elapsed(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);
}

/// <summary>An outcome word, the fencing token if granted, and the body to send.</summary>
public sealed record LockAnswer(string Outcome, long? FencingToken, object Body);
