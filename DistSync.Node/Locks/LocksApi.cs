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
            .WithSummary("Acquire a shared or exclusive lock, optionally waiting up to wait_ms; a grant carries a fencing token.");
        locks.MapPost("/release", ReleaseAsync).RequireRole(Role.Writer).WithBodyLimit(SmallBody)
            .WithName("ReleaseLock")
            .WithSummary("Release a hold (and hand the lock to the next waiter), or withdraw a wait.");
        locks.MapPost("/renew", RenewAsync).RequireRole(Role.Writer).WithBodyLimit(SmallBody)
            .WithName("RenewLock")
            .WithSummary("Extend a hold's lease by ttl_ms from now.");
        locks.MapGet("/state", GetStateAsync).RequireRole(Role.Reader)
            .WithName("GetLockState")
            .WithSummary("Every resource's mode, holders, waiters and fencing token, and the wait-for graph; identical on every node.");
        return app;
    }

    public static async Task<Results<Ok<AcquiredResponse>, Conflict<LockConflictResponse>, ProblemHttpResult>> AcquireAsync(
        AcquireRequest request, LockService locks, CancellationToken requestAborted)
    {
        if ((LockRequestValidator.ValidateAcquire(request.Resource, request.ClientId, request.Mode, request.WaitMs, request.TtlMs)
            ?? LockRequestValidator.ValidateRequestId(request.RequestId)) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        LockModes.TryParse(request.Mode ?? "exclusive", out var mode);
        return ToResult<AcquiredResponse>(await locks.AcquireAsync(
            request.Resource!, request.ClientId!, mode, request.TtlMs ?? LockLimits.DefaultTtlMs, request.WaitMs ?? LockLimits.DefaultWaitMs, request.RequestId, requestAborted));
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
        var local = consistency switch
        {
            null or "" or "linearizable" => false,
            "local" => true,
            _ => (bool?)null,
        };
        if (local is null)
        {
            return Problems.InvalidField("consistency", "must be 'linearizable' (the default) or 'local'");
        }

        if (local == false)
        {
            await raft.ReadBarrierAsync(cancellationToken);
        }

        return TypedResults.Ok(State(machine, raft, local == true ? "local" : "linearizable"));
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
            [.. r.Holders.Select(h => new LockHolderView(h.ClientId, h.Mode.ToWireName(), h.Token, DateTimeOffset.FromUnixTimeMilliseconds(h.ExpiresAtMs)))],
            [.. r.Waiters.Select(w => new LockWaiterView(w.ClientId, w.Mode.ToWireName(), DateTimeOffset.FromUnixTimeMilliseconds(w.DeadlineMs), w.TtlMs))]), StringComparer.Ordinal);
        return new LockStateResponse(locks, machine.GetWaitForGraph(), raft.NodeId, consistency, DateTimeOffset.FromUnixTimeMilliseconds(raft.ClockNowMs));
    }

    private static Results<Ok<T>, Conflict<LockConflictResponse>, ProblemHttpResult> ToResult<T>(LockAnswer answer) => answer.Body switch
    {
        T ok => TypedResults.Ok(ok),
        LockConflictResponse conflict => TypedResults.Conflict(conflict),
        Locks.LockValidationError invalid => Problems.InvalidField(invalid.Field, invalid.Rule),
        _ => throw new InvalidOperationException($"Unexpected answer body {answer.Body.GetType().Name} for {typeof(T).Name}."),
    };
}
