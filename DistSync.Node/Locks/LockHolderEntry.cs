namespace DistSync.Node.Locks;

/// <summary>
/// A holder as the lock table keeps it, keyed by client id in its <see cref="LockResourceEntry"/> (mutable: a renew
/// moves its lease, an upgrade changes its mode and token). The table shows it as a <see cref="LockHolderState"/>,
/// the API as a <see cref="LockHolderView"/>.
/// <see cref="RequestIndex"/> is the index of the acquire that asked for it, so a withdrawn request finds its grant.
/// A hold of a session has its <see cref="SessionId"/> (0: none) and no lease of its own (<see cref="ExpiresAtMs"/> 0): it
/// ends when the session does.
/// </summary>
internal sealed class LockHolderEntry(LockMode mode, long token, long expiresAtMs, long requestIndex)
{
    public long RequestIndex { get; set; } = requestIndex;

    public long SessionId { get; init; }

    public LockMode Mode { get; set; } = mode;
    public long Token { get; set; } = token;
    public long ExpiresAtMs { get; set; } = expiresAtMs;
}
