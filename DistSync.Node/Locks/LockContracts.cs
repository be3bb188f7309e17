using DistSync.Node.Security;
using System.Text.Json.Serialization;

namespace DistSync.Node.Locks;

// The lock API's bodies; property names become snake_case on the wire, as the original system had them.

public sealed record AcquireRequest(string? Resource, string? ClientId, string? Mode, long? WaitMs, long? TtlMs) : ITargeted, IBlockingRequest
{
    string? ITargeted.Target => Resource;

    bool IBlockingRequest.Blocks => WaitMs > 0;
}

public sealed record ReleaseRequest(string? Resource, string? ClientId) : ITargeted
{
    string? ITargeted.Target => Resource;
}

public sealed record RenewRequest(string? Resource, string? ClientId, long? TtlMs) : ITargeted
{
    string? ITargeted.Target => Resource;
}

/// <summary>A grant: <c>status</c> is <c>acquired</c>.</summary>
public sealed record AcquiredResponse(string Status, string Resource, string ClientId, string Mode, long FencingToken, DateTimeOffset ExpiresAt, bool AlreadyHeld, double WaitedMs);

/// <summary>A refusal (409): <c>status</c> is <c>busy</c>, <c>timeout</c>, <c>deadlock</c>, <c>already_waiting</c>, <c>limit_reached</c> or <c>not_held</c>.</summary>
public sealed record LockConflictResponse(string Status, string Resource, string ClientId, string Detail)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Holders { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Cycle { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? WaitedMs { get; init; }
}

public sealed record ReleasedResponse(string Status, string Resource, string ClientId, bool HoldReleased, bool WaitCancelled);

public sealed record RenewedResponse(string Status, string Resource, string ClientId, long FencingToken, DateTimeOffset ExpiresAt);

public sealed record LockHolderView(string ClientId, string Mode, long FencingToken, DateTimeOffset ExpiresAt);

public sealed record LockWaiterView(string ClientId, string Mode, DateTimeOffset Deadline, long TtlMs);

/// <summary>One resource in <c>GET /locks/state</c>: holders and waiters by client id (as the original had them) plus details.</summary>
public sealed record LockView(string Mode, IReadOnlyList<string> Holders, IReadOnlyList<string> Waiters, long FencingToken, IReadOnlyList<LockHolderView> HolderDetails, IReadOnlyList<LockWaiterView> WaiterDetails);

public sealed record LockStateResponse(IReadOnlyDictionary<string, LockView> Locks, IReadOnlyDictionary<string, IReadOnlyList<string>> WaitFor, string NodeId, string Consistency);
