namespace DistSync.Node.Locks;

/// <summary>
/// A lock table hold (mutable: a renew moves its lease, an upgrade changes its mode and token).
/// <see cref="RequestIndex"/> is the index of the acquire that asked for it, so a withdrawn request finds its grant.
/// </summary>
internal sealed class LockHold(LockMode mode, long token, long expiresAtMs, long requestIndex)
{
    public long RequestIndex { get; set; } = requestIndex;

    public LockMode Mode { get; set; } = mode;
    public long Token { get; set; } = token;
    public long ExpiresAtMs { get; set; } = expiresAtMs;
}
