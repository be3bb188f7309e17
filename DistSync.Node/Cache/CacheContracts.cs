using DistSync.Node.Http;
using DistSync.Node.Security;

namespace DistSync.Node.Cache;

// The cache API's bodies; property names become snake_case on the wire, as the original system had them.

/// <summary>
/// <c>status</c>: <c>hit</c> when this node served it from its own memory, <c>miss</c> when it asked the key's home
/// (the value is still the current one). <c>value</c> is null when the key has none. <c>state</c> is this node's
/// line now; <c>version</c> numbers the key's writes.
/// </summary>
public sealed record CacheGetResponse(string Status, string Key, RawJson? Value, string State, long Version, DateTimeOffset? ExpiresAt, string NodeId);

/// <summary><c>ttl_sec</c>: the value expires this long after the set (none: never).</summary>
public sealed record CacheSetRequest(string? Key, RawJson? Value, double? TtlSec) : ITargeted
{
    string? ITargeted.Target => Key;
}

/// <summary>Returned once no other node holds an older copy. <c>silent</c>: this node held the line exclusively and asked no one.</summary>
public sealed record CacheSetResponse(string Status, string Key, string State, long Version, string Policy, bool Silent, string NodeId);

public sealed record CacheKeyRequest(string? Key) : ITargeted
{
    string? ITargeted.Target => Key;
}

public sealed record CacheInvalidateResponse(string Status, string Key, string Dropped, string NodeId);

public sealed record CacheDeleteResponse(string Status, string Key, long Version, string NodeId);

/// <summary>One node's line for a key; <c>reachable</c> false when the node did not answer.</summary>
public sealed record CacheLineView(string Node, string State, long Version, long LeaseLeftMs, bool Dirty, bool Reachable);

/// <summary>What the key's home records: its owner and sharers with the lease each has left.</summary>
public sealed record CacheDirectoryView(string? Owner, IReadOnlyDictionary<string, long> SharersLeaseLeftMs);

public sealed record CacheLinesResponse(string Key, string Home, long Epoch, IReadOnlyList<CacheLineView> Lines, CacheDirectoryView? Directory);
