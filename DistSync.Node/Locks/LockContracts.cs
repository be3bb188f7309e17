using System.Text.Json.Serialization;
using DistSync.Node.Security;

namespace DistSync.Node.Locks;

// The lock API's bodies; property names become snake_case on the wire, as the original system had them.

/// <summary>
/// With <c>request_id</c>, a repeat within 5 minutes gets the first attempt's answer and changes nothing. With
/// <c>session_id</c> instead of <c>ttl_ms</c>, the hold and the wait belong to that session of the caller's token and
/// last as long as it does.
/// </summary>
public sealed record AcquireRequest(string? Resource, string? ClientId, string? Mode, long? WaitMs, long? TtlMs, string? RequestId = null, long? SessionId = null) : ITargeted, IBlockingRequest
{
    string? ITargeted.Target => Resource;

    bool IBlockingRequest.Blocks => WaitMs > 0;
}

/// <summary>With <c>fencing_token</c>, only the hold that token names is released (and a wait is left alone).</summary>
public sealed record ReleaseRequest(string? Resource, string? ClientId, long? FencingToken = null, string? RequestId = null) : ITargeted
{
    string? ITargeted.Target => Resource;
}

/// <summary>With <c>fencing_token</c>, only the hold that token names is renewed.</summary>
public sealed record RenewRequest(string? Resource, string? ClientId, long? TtlMs, long? FencingToken = null, string? RequestId = null) : ITargeted
{
    string? ITargeted.Target => Resource;
}

/// <summary>
/// A grant: <c>status</c> is <c>acquired</c>. <c>ttl_remaining_ms</c> is the lease left when the grant was applied, on
/// the leader's clock: counted from when the request was sent, it ends no later than the lease does. <c>expires_at</c>
/// is the same end on the answering node's wall clock, for people to read. For a session's hold, both are the session's,
/// and <c>session_id</c> names it.
/// </summary>
public sealed record AcquiredResponse(string Status, string Resource, string ClientId, string Mode, long FencingToken, DateTimeOffset ExpiresAt, long TtlRemainingMs, bool AlreadyHeld, double WaitedMs)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? SessionId { get; init; }
}

/// <summary>
/// A refusal (409): <c>status</c> is <c>busy</c>, <c>timeout</c>, <c>deadlock</c>, <c>already_waiting</c>, <c>limit_reached</c>,
/// <c>not_held</c>, <c>stale_token</c>, <c>session_mismatch</c> or <c>session_hold</c>.
/// </summary>
public sealed record LockConflictResponse(string Status, string Resource, string ClientId, string Detail)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Holders { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Cycle { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? WaitedMs { get; init; }

    /// <summary>With <c>stale_token</c>: the token of the hold the client has now.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CurrentFencingToken { get; init; }

    /// <summary>With <c>session_mismatch</c> or <c>session_hold</c>: the session the hold or wait belongs to (none: it has a lease of its own).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? SessionId { get; init; }
}

public sealed record ReleasedResponse(string Status, string Resource, string ClientId, bool HoldReleased, bool WaitCancelled);

public sealed record RenewedResponse(string Status, string Resource, string ClientId, long FencingToken, DateTimeOffset ExpiresAt, long TtlRemainingMs);

/// <summary>
/// A holder; <c>expires_at</c> is on the cluster clock (see <see cref="LockStateResponse"/>), the same on every node. A hold of
/// a session has its <c>session_id</c>, and ends when the session does.
/// </summary>
public sealed record LockHolderView(string ClientId, string Mode, long FencingToken, DateTimeOffset ExpiresAt)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? SessionId { get; init; }

    /// <summary>In <c>GET /locks/resource</c> only: <c>expires_at</c> less this node's reading of the cluster clock, for people to read.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? TtlRemainingMs { get; init; }
}

/// <summary>A waiter; <c>ttl_ms</c> is the lease it gets when granted (0 for a session's waiter, which gets no lease of its own).</summary>
public sealed record LockWaiterView(string ClientId, string Mode, DateTimeOffset Deadline, long TtlMs)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? SessionId { get; init; }

    /// <summary>In <c>GET /locks/resource</c> only: <c>deadline</c> less this node's reading of the cluster clock.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? WaitRemainingMs { get; init; }
}

/// <summary>One resource in <c>GET /locks/state</c>: holders and waiters by client id (as the original had them) plus details.</summary>
public sealed record LockResourceView(string Mode, IReadOnlyList<string> Holders, IReadOnlyList<string> Waiters, long FencingToken, IReadOnlyList<LockHolderView> HolderDetails, IReadOnlyList<LockWaiterView> WaiterDetails);

/// <summary>
/// The lock table. Lease ends and deadlines are instants on the cluster clock, the leader's time that every entry
/// carries (it stands still between leaders, so it runs behind wall clocks); <c>cluster_time</c> is this node's reading
/// of that clock now, so <c>expires_at - cluster_time</c> is what is left of a lease.
/// </summary>
public sealed record LockStateResponse(IReadOnlyDictionary<string, LockResourceView> Locks, IReadOnlyDictionary<string, IReadOnlyList<string>> WaitFor, string NodeId, string Consistency, DateTimeOffset ClusterTime);

/// <summary>
/// One resource (<c>GET /locks/resource</c>): its holders and waiters (queue order) with their sessions and what is left of
/// their time. <c>mode</c> and <c>fencing_token</c> are null when nobody holds or waits for it.
/// </summary>
public sealed record LockResourceResponse(
    string Resource,
    string? Mode,
    long? FencingToken,
    IReadOnlyList<LockHolderView> Holders,
    IReadOnlyList<LockWaiterView> Waiters,
    string NodeId,
    string Consistency,
    DateTimeOffset ClusterTime);
