using DistSync.Node.Http;

namespace DistSync.Node.Locks;

/// <summary>Sessions: opened, kept alive and closed through Raft, at the leader's time like every lock command.</summary>
public sealed partial class LockService
{
    public async Task<LockAnswer> CreateSessionAsync(string owner, long ttlMs, string? requestId)
    {
        var applied = await ProposeAsync(new LockCommand.CreateSession(owner, ttlMs, 0) { RequestId = requestId });
        return applied.Outcome switch
        {
            LockOutcome.SessionCreated created => new LockAnswer("open", null, Session("open", created.SessionId, created.TtlMs, created.ExpiresAtMs, applied.ClockMs)),
            LockOutcome.LimitReached { Limit: nameof(LockLimits.MaxSessionsPerOwner) } => throw new LimitReachedException(
                $"This token has {LockLimits.MaxSessionsPerOwner} sessions open; close one, or let one expire.", nameof(LockLimits.MaxSessionsPerOwner), LockLimits.MaxSessionsPerOwner),
            LockOutcome.LimitReached limit => throw new LimitReachedException(
                $"The cluster has {LockLimits.MaxSessions} sessions open.", limit.Limit, LockLimits.MaxSessions),
            LockOutcome.Rejected rejected => new LockAnswer("invalid", null, rejected.Error),
            var other => throw new InvalidOperationException($"Unexpected session outcome {other.GetType().Name}."),
        };
    }

    public async Task<LockAnswer> KeepAliveAsync(SessionClaim session) =>
        (await ProposeAsync(new LockCommand.KeepAlive(session.SessionId, session.Owner, 0))) switch
        {
            { Outcome: LockOutcome.SessionKeptAlive kept } applied => new LockAnswer("alive", null, Session("alive", kept.SessionId, kept.TtlMs, kept.ExpiresAtMs, applied.ClockMs)),
            { Outcome: LockOutcome.SessionNotFound gone } => new LockAnswer("session_not_found", null, SessionNotOpen(gone.SessionId)),
            { Outcome: LockOutcome.Rejected rejected } => new LockAnswer("invalid", null, rejected.Error),
            var other => throw new InvalidOperationException($"Unexpected session outcome {other.Outcome.GetType().Name}."),
        };

    public async Task<LockAnswer> CloseSessionAsync(SessionClaim session) =>
        (await ProposeAsync(new LockCommand.CloseSession(session.SessionId, session.Owner, 0))).Outcome switch
        {
            LockOutcome.SessionClosed closed => new LockAnswer("closed", null, new SessionClosedResponse("closed", closed.SessionId, closed.HoldsReleased, closed.WaitsWithdrawn)),
            LockOutcome.SessionNotFound gone => new LockAnswer("session_not_found", null, SessionNotOpen(gone.SessionId)),
            LockOutcome.Rejected rejected => new LockAnswer("invalid", null, rejected.Error),
            var other => throw new InvalidOperationException($"Unexpected session outcome {other.GetType().Name}."),
        };

    /// <summary>What is left of the session at the entry that opened or kept it alive: counted from the send, it ends no later than the session.</summary>
    private SessionResponse Session(string status, long sessionId, long ttlMs, long expiresAtMs, long clockMs)
    {
        var remaining = Math.Max(0, expiresAtMs - clockMs);
        return new SessionResponse(status, sessionId, ttlMs, remaining, ExpiresAt(remaining));
    }

    internal static SessionGone SessionNotOpen(long sessionId) =>
        new(sessionId, $"Session {sessionId} is not open: it expired, was closed, or was never opened with this token. Open a new one.");
}
