namespace DistSync.Node.Locks;

/// <summary>A lock table hold (mutable: a renew moves its lease, an upgrade changes its mode and token).</summary>
internal sealed class LockHold(LockMode mode, long token, long expiresAtMs)
{
    public LockMode Mode { get; set; } = mode;
    public long Token { get; set; } = token;
    public long ExpiresAtMs { get; set; } = expiresAtMs;
}
