namespace DistSync.Node.Cache;

/// <summary>
/// One key's copy on this node. <see cref="LeaseUntilMs"/> is on this node's monotonic clock, counted from when the
/// request that got the line was sent, so it ends no later than the home's record of it. <see cref="Fence"/> is the
/// token the home gave an exclusive holder: Redis takes that holder's writes only while it is still the key's token.
/// </summary>
public sealed class CacheLine(string key)
{
    public string Key { get; } = key;

    public LineState State { get; internal set; }

    /// <summary>The value as JSON text; null when the key has no value (never set, deleted or expired).</summary>
    public string? Value { get; internal set; }

    public long Version { get; internal set; }

    public long Fence { get; internal set; }

    /// <summary>When the value expires (Unix ms, from <c>ttl_sec</c>); 0 for never.</summary>
    public long ExpiresAtUnixMs { get; internal set; }

    public long LeaseUntilMs { get; internal set; }

    /// <summary>Written here under write-back and not yet in Redis.</summary>
    public bool Dirty { get; internal set; }

    public long DirtySinceMs { get; internal set; }

    /// <summary>Raised on every change, so an adapter can tell whether the line it read is still the same one.</summary>
    public long Generation { get; internal set; }

    internal int Bytes { get; set; }

    internal LinkedListNode<CacheLine>? Lru { get; set; }

    public bool IsExclusive => State is LineState.E or LineState.M;

    public bool LeaseValid(long nowMs) => State != LineState.I && nowMs < LeaseUntilMs;

    /// <summary>The value as a reader sees it: none once its TTL passed.</summary>
    public string? ValueAt(long nowUnixMs) => ExpiresAtUnixMs > 0 && nowUnixMs >= ExpiresAtUnixMs ? null : Value;
}
