namespace DistSync.Node.Cache;

public enum HomeRequestKind
{
    Read,
    Write,
}

/// <summary>
/// A node asks a key's home for a line. A read names what the requester still holds (an owner renewing its lease);
/// a write carries the value (null with <see cref="HasValue"/> false deletes), which the home stores in Redis before
/// it answers.
/// </summary>
public sealed record HomeRequest(HomeRequestKind Kind, string Key, string Requester, LineState Holding = LineState.I, long HoldingFence = 0,
    long HoldingVersion = 0, bool HasValue = false, string? Value = null, long ExpiresAtUnixMs = 0);

public enum HomeStatus
{
    Ok,

    /// <summary>The asked node is not the key's home in its epoch (or Redis has seen a newer home): look again.</summary>
    NotHome,
}

/// <summary>
/// The home's answer. <see cref="LeaseMs"/> counts from when the requester sent the request. <see cref="Renewed"/>:
/// the requester's exclusive line is still its own, for another lease; nothing else in the grant applies.
/// </summary>
public sealed record HomeReply(HomeStatus Status, LineState State = LineState.I, string? Value = null, long Version = 0, long Fence = 0,
    long ExpiresAtUnixMs = 0, long LeaseMs = 0, bool Renewed = false, long Epoch = 0, string? Home = null)
{
    public static HomeReply NotHome(long epoch, string? home) => new(HomeStatus.NotHome, Epoch: epoch, Home: home);
}

/// <summary>The home takes a holder's line: invalidate (a write elsewhere) or downgrade to S (a read elsewhere).</summary>
public sealed record RevokeRequest(string Key, RevokeKind Kind, string Home);

/// <summary>Whether the holder keeps a copy (a downgrade to S), and the version it held.</summary>
public sealed record RevokeReply(bool Held, long Version);

/// <summary>One node's line for a key, and its directory entry when it is (or was) the key's home.</summary>
public sealed record NodeLineReply(LineView? Line, CacheDirectoryView? Directory);
