using System.Globalization;
using System.Security.Claims;
using DistSync.Node.Consensus;
using DistSync.Node.Http;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Locks;

/// <summary>
/// <c>/sessions</c>: sessions in the manner of etcd's leases, for clients that keep one session alive instead of renewing
/// each hold. A session belongs to the token that opened it: to any other it does not exist. It names no resource, so a
/// token limited to prefixes may use it (its acquires are still held to the prefixes).
/// </summary>
public static class SessionsApi
{
    /// <summary>A TTL and a request id: far under this.</summary>
    private const int SmallBody = 4096;

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapPost("", CreateAsync).RequireRole(Role.Writer).WithBodyLimit(SmallBody)
            .WithName("CreateSession")
            .WithSummary("Open a session: acquires that name it hold and wait for as long as it lives, with no lease of their own.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        sessions.MapPost("/keepalive", KeepAliveAsync).RequireRole(Role.Writer).WithBodyLimit(SmallBody)
            .WithName("KeepSessionAlive")
            .WithSummary("Keep a session alive: it then ends no earlier than ttl_ms after this keep-alive was applied.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        sessions.MapGet("/{id}", GetAsync).RequireRole(Role.Writer)
            .WithName("GetSession")
            .WithSummary("A session's TTL, what is left of it, and its holds and waits.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        sessions.MapDelete("/{id}", CloseAsync).RequireRole(Role.Writer)
            .WithName("CloseSession")
            .WithSummary("End a session now: its holds are released and its waits withdrawn, and their waiters granted, in one commit.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> CreateAsync(
        ClaimsPrincipal user, LockService locks, CreateSessionRequest? request = null)
    {
        var ttlMs = request?.TtlMs ?? LockLimits.DefaultSessionTtlMs;
        if ((LockRequestValidator.ValidateSessionTtlMs(ttlMs) ?? LockRequestValidator.ValidateRequestId(request?.RequestId)
            ?? LockRequestValidator.ValidateOwner(OwnerOf(user))) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        return ToResult<SessionResponse>(await locks.CreateSessionAsync(OwnerOf(user), ttlMs, request?.RequestId));
    }

    public static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> KeepAliveAsync(
        KeepAliveRequest request, ClaimsPrincipal user, LockService locks) =>
        LockRequestValidator.ValidateSessionId(request.SessionId) is { } error
            ? Problems.InvalidField(error.Field, error.Rule)
            : ToResult<SessionResponse>(await locks.KeepAliveAsync(new SessionClaim(request.SessionId!.Value, OwnerOf(user))));

    public static async Task<Results<Ok<SessionClosedResponse>, ProblemHttpResult>> CloseAsync(
        string id, ClaimsPrincipal user, LockService locks) =>
        ParseId(id) is not { } sessionId
            ? Problems.InvalidField("id", IdRule)
            : ToResult<SessionClosedResponse>(await locks.CloseSessionAsync(new SessionClaim(sessionId, OwnerOf(user))));

    /// <summary>Linearizable by default (ReadIndex first), as <c>/locks/state</c>; <c>?consistency=local</c> reads this node's copy.</summary>
    public static async Task<Results<Ok<SessionStateResponse>, ProblemHttpResult>> GetAsync(
        string id, string? consistency, ClaimsPrincipal user, RaftHost raft, LockStateMachine machine, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } sessionId)
        {
            return Problems.InvalidField("id", IdRule);
        }

        if (LocksApi.ParseConsistency(consistency) is not { } read)
        {
            return Problems.InvalidField("consistency", "must be 'linearizable' (the default) or 'local'");
        }

        await LocksApi.ReadAsync(read, raft, cancellationToken);
        if (machine.GetSession(sessionId) is not { } session || !string.Equals(session.Owner, OwnerOf(user), StringComparison.Ordinal))
        {
            return SessionProblems.NotFound(LockService.SessionNotOpen(sessionId));
        }

        var now = raft.ClockNowMs;
        return TypedResults.Ok(new SessionStateResponse(
            session.SessionId,
            session.TtlMs,
            Math.Max(0, session.ExpiresAtMs - now),
            DateTimeOffset.FromUnixTimeMilliseconds(session.ExpiresAtMs),
            [.. session.Holds.Select(h => new SessionHoldView(h.Resource, h.ClientId, h.Mode.ToWireName(), h.Token))],
            [.. session.Waits.Select(w => new SessionWaitView(w.Resource, w.ClientId, w.Mode.ToWireName(), DateTimeOffset.FromUnixTimeMilliseconds(w.DeadlineMs)))],
            raft.NodeId,
            read,
            DateTimeOffset.FromUnixTimeMilliseconds(now)));
    }

    private static Results<Ok<T>, ProblemHttpResult> ToResult<T>(LockAnswer answer) => answer.Body switch
    {
        T ok => TypedResults.Ok(ok),
        SessionGone gone => SessionProblems.NotFound(gone),
        LockValidationError invalid => Problems.InvalidField(invalid.Field, invalid.Rule),
        _ => throw new InvalidOperationException($"Unexpected answer body {answer.Body.GetType().Name} for {typeof(T).Name}."),
    };

    /// <summary>Who owns the sessions a request opens: its token's name (with auth off, every request is <c>anonymous</c>).</summary>
    internal static string OwnerOf(ClaimsPrincipal user) => Principals.NameOf(user) ?? Principals.Anonymous;

    private const string IdRule = "must be a session id: a whole number of at least 1";

    private static long? ParseId(string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var sessionId) && sessionId >= 1 ? sessionId : null;
}
