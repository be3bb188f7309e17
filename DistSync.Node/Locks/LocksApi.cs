using System.Security.Claims;
using DistSync.Node.Consensus;
using DistSync.Node.Http;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Locks;

/// <summary>
/// <c>/locks/*</c>: the original system's paths and fields. Any node takes any request; writes travel
/// through the Raft leader, reads are linearizable unless <c>?consistency=local</c>.
/// </summary>
public static class LocksApi
{
    /// <summary>A resource, a client id and a few numbers: far under this.</summary>
    private const int SmallBody = 4096;

    public static IEndpointRouteBuilder MapLocksApi(this IEndpointRouteBuilder app)
    {
        var locks = app.MapGroup("/locks").WithTags("Locks").AddEndpointFilter(new TargetFilter(null));
        locks.MapPost("/acquire", AcquireAsync).RequireRole(Role.Writer).WithBodyLimit(SmallBody).AddEndpointFilter(app.ServiceProvider.GetRequiredService<BlockingWaits>())
            .WithName("AcquireLock")
            .WithSummary("Acquire a shared or exclusive lock, optionally waiting up to wait_ms; a grant carries a fencing token.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        locks.MapPost("/release", ReleaseAsync).RequireRole(Role.Writer).WithBodyLimit(SmallBody)
            .WithName("ReleaseLock")
            .WithSummary("Release a hold (and hand the lock to the next waiter), or withdraw a wait.");
        locks.MapPost("/renew", RenewAsync).RequireRole(Role.Writer).WithBodyLimit(SmallBody)
            .WithName("RenewLock")
            .WithSummary("Extend a hold's lease by ttl_ms from now.");
        locks.MapGet("/state", GetStateAsync).RequireRole(Role.Reader)
            .WithName("GetLockState")
            .WithSummary("Every resource's mode, holders, waiters and fencing token, and the wait-for graph; identical on every node.");

        // Outside the group: it names one resource, so a token limited to prefixes may read the ones under them.
        app.MapGet("/locks/resource", GetResourceAsync).WithTags("Locks").AddEndpointFilter(new TargetFilter("name")).RequireRole(Role.Reader)
            .WithName("GetLockResource")
            .WithSummary("One resource's holders (fencing token, mode, client, session, time left) and waiters, in queue order.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public static async Task<Results<Ok<AcquiredResponse>, Conflict<LockConflictResponse>, ProblemHttpResult>> AcquireAsync(
        AcquireRequest request, ClaimsPrincipal user, LockService locks, CancellationToken requestAborted)
    {
        if ((LockRequestValidator.ValidateAcquire(request.Resource, request.ClientId, request.Mode, request.WaitMs, request.TtlMs, request.SessionId)
            ?? LockRequestValidator.ValidateRequestId(request.RequestId)) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        LockModes.TryParse(request.Mode ?? "exclusive", out var mode);
        var session = request.SessionId is { } sessionId ? new SessionClaim(sessionId, SessionsApi.OwnerOf(user)) : null;
        return ToResult<AcquiredResponse>(await locks.AcquireAsync(
            request.Resource!, request.ClientId!, mode, request.TtlMs ?? LockLimits.DefaultTtlMs, request.WaitMs ?? LockLimits.DefaultWaitMs, request.RequestId, session, requestAborted));
    }

    public static async Task<Results<Ok<ReleasedResponse>, Conflict<LockConflictResponse>, ProblemHttpResult>> ReleaseAsync(
        ReleaseRequest request, LockService locks)
    {
        if ((LockRequestValidator.ValidateRelease(request.Resource, request.ClientId, request.FencingToken)
            ?? LockRequestValidator.ValidateRequestId(request.RequestId)) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        return ToResult<ReleasedResponse>(await locks.ReleaseAsync(request.Resource!, request.ClientId!, request.FencingToken, request.RequestId));
    }

    public static async Task<Results<Ok<RenewedResponse>, Conflict<LockConflictResponse>, ProblemHttpResult>> RenewAsync(
        RenewRequest request, LockService locks)
    {
        if ((LockRequestValidator.ValidateRenew(request.Resource, request.ClientId, request.TtlMs, request.FencingToken)
            ?? LockRequestValidator.ValidateRequestId(request.RequestId)) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        return ToResult<RenewedResponse>(await locks.RenewAsync(request.Resource!, request.ClientId!, request.TtlMs ?? LockLimits.DefaultTtlMs, request.FencingToken, request.RequestId));
    }

    public static async Task<Results<Ok<LockStateResponse>, ProblemHttpResult>> GetStateAsync(
        string? consistency, RaftHost raft, LockStateMachine machine, CancellationToken cancellationToken)
    {
        if (ParseConsistency(consistency) is not { } read)
        {
            return Problems.InvalidField("consistency", ConsistencyRule);
        }

        await ReadAsync(read, raft, cancellationToken);
        return TypedResults.Ok(State(machine, raft, read));
    }

    /// <summary>
    /// One resource, with the time left of each hold and wait by this node's reading of the cluster clock. Linearizable by
    /// default, as <c>/locks/state</c>; a free resource answers with no holders and no waiters.
    /// </summary>
    public static async Task<Results<Ok<LockResourceResponse>, ProblemHttpResult>> GetResourceAsync(
        string? name, string? consistency, RaftHost raft, LockStateMachine machine, CancellationToken cancellationToken)
    {
        if (LockRequestValidator.ValidateResource(name) is { } invalid)
        {
            return Problems.InvalidField("name", invalid.Rule);
        }

        if (ParseConsistency(consistency) is not { } read)
        {
            return Problems.InvalidField("consistency", ConsistencyRule);
        }

        await ReadAsync(read, raft, cancellationToken);
        var now = raft.ClockNowMs;
        var state = machine.GetState(name!);
        var holders = state?.Holders.Select(h => Holder(h) with { TtlRemainingMs = Math.Max(0, h.ExpiresAtMs - now) }).ToList() ?? [];
        var waiters = state?.Waiters.Select(w => Waiter(w) with { WaitRemainingMs = Math.Max(0, w.DeadlineMs - now) }).ToList() ?? [];
        return TypedResults.Ok(new LockResourceResponse(name!, state?.Mode.ToWireName(), state?.FencingToken, holders, waiters, raft.NodeId, read,
            DateTimeOffset.FromUnixTimeMilliseconds(now)));
    }

    private const string ConsistencyRule = "must be 'linearizable' (the default) or 'local'";

    /// <summary><c>linearizable</c> (the default) or <c>local</c>; null for anything else.</summary>
    internal static string? ParseConsistency(string? consistency) => consistency switch
    {
        null or "" or "linearizable" => "linearizable",
        "local" => "local",
        _ => null,
    };

    /// <summary>A linearizable read waits for ReadIndex (the leader confirms it leads, this node applies up to its commit); a local one reads at once.</summary>
    internal static async Task ReadAsync(string consistency, RaftHost raft, CancellationToken cancellationToken)
    {
        if (consistency != "local")
        {
            await raft.ReadBarrierAsync(cancellationToken);
        }
    }

    /// <summary>
    /// This node's applied lock table and wait-for graph, as <c>GET /locks/state</c> and the cluster view show it: the
    /// same on every node that applied the same entries (times are on the replicated cluster clock), plus this node's
    /// reading of that clock.
    /// </summary>
    public static LockStateResponse State(LockStateMachine machine, RaftHost raft, string consistency)
    {
        var locks = machine.GetState().ToDictionary(r => r.Resource, r => new LockResourceView(
            r.Mode.ToWireName(),
            [.. r.Holders.Select(h => h.ClientId)],
            [.. r.Waiters.Select(w => w.ClientId)],
            r.FencingToken,
            [.. r.Holders.Select(Holder)],
            [.. r.Waiters.Select(Waiter)]), StringComparer.Ordinal);
        return new LockStateResponse(locks, machine.GetWaitForGraph(), raft.NodeId, consistency, DateTimeOffset.FromUnixTimeMilliseconds(raft.ClockNowMs));
    }

    private static LockHolderView Holder(LockHolderState h) =>
        new(h.ClientId, h.Mode.ToWireName(), h.Token, DateTimeOffset.FromUnixTimeMilliseconds(h.ExpiresAtMs)) { SessionId = h.SessionId };

    private static LockWaiterView Waiter(LockWaiterState w) =>
        new(w.ClientId, w.Mode.ToWireName(), DateTimeOffset.FromUnixTimeMilliseconds(w.DeadlineMs), w.TtlMs) { SessionId = w.SessionId };

    private static Results<Ok<T>, Conflict<LockConflictResponse>, ProblemHttpResult> ToResult<T>(LockAnswer answer) => answer.Body switch
    {
        T ok => TypedResults.Ok(ok),
        LockConflictResponse conflict => TypedResults.Conflict(conflict),
        SessionGone gone => SessionProblems.NotFound(gone),
        Locks.LockValidationError invalid => Problems.InvalidField(invalid.Field, invalid.Rule),
        _ => throw new InvalidOperationException($"Unexpected answer body {answer.Body.GetType().Name} for {typeof(T).Name}."),
    };
}
