namespace DistSync.Node.Locks;

// The session API's bodies; property names become snake_case on the wire.

/// <summary>
/// Open a session. <c>ttl_ms</c>: how long it lives past its last keep-alive (default 30,000). With <c>request_id</c>, a
/// repeat while the session is open answers that session (and keeps it alive) instead of opening another.
/// </summary>
public sealed record CreateSessionRequest(long? TtlMs = null, string? RequestId = null);

public sealed record KeepAliveRequest(long? SessionId);

/// <summary>
/// A session opened or kept alive. <c>ttl_remaining_ms</c> is what was left of it when the command was applied, on the
/// leader's clock: counted from when the request was sent, it ends no later than the session can. <c>expires_at</c> is
/// the same end on the answering node's wall clock, for people to read.
/// </summary>
public sealed record SessionResponse(string Status, long SessionId, long TtlMs, long TtlRemainingMs, DateTimeOffset ExpiresAt);

/// <summary>A session closed: <c>holds_released</c> holds released and <c>waits_withdrawn</c> waits withdrawn with it.</summary>
public sealed record SessionClosedResponse(string Status, long SessionId, int HoldsReleased, int WaitsWithdrawn);

/// <summary>A hold of a session.</summary>
public sealed record SessionHoldView(string Resource, string ClientId, string Mode, long FencingToken);

/// <summary>A wait of a session; <c>deadline</c> is on the cluster clock.</summary>
public sealed record SessionWaitView(string Resource, string ClientId, string Mode, DateTimeOffset Deadline);

/// <summary>
/// A session as this node has applied it: <c>expires_at</c> and the waits' deadlines are on the cluster clock, like
/// <c>GET /locks/state</c>'s, and <c>ttl_remaining_ms</c> is <c>expires_at</c> less this node's reading of it.
/// </summary>
public sealed record SessionStateResponse(
    long SessionId,
    long TtlMs,
    long TtlRemainingMs,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<SessionHoldView> Holds,
    IReadOnlyList<SessionWaitView> Waits,
    string NodeId,
    string Consistency,
    DateTimeOffset ClusterTime);

/// <summary>What answers a request naming a session that is not open: mapped to a 404 problem of <see cref="SessionProblems.NotFoundType"/>.</summary>
public sealed record SessionGone(long SessionId, string Detail);
