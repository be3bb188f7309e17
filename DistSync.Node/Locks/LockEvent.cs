namespace DistSync.Node.Locks;

/// <summary>
/// Something a command did to a client other than its sender (or, for an expiry, to anyone). The node that
/// holds the client's waiting HTTP request answers it from these; metrics count them.
/// </summary>
public abstract record LockEvent(string Resource, string ClientId, LockMode Mode)
{
    /// <summary>
    /// A waiter was promoted to holder; <paramref name="Token"/> is the index of the command that did it, and
    /// <paramref name="ExpiresAtMs"/> its lease end (its session's end, for a session's waiter).
    /// </summary>
    public sealed record Granted(string Resource, string ClientId, LockMode Mode, long Token, long ExpiresAtMs)
        : LockEvent(Resource, ClientId, Mode);

    /// <summary>A waiter's deadline passed before it could be granted.</summary>
    public sealed record WaitTimedOut(string Resource, string ClientId, LockMode Mode) : LockEvent(Resource, ClientId, Mode);

    /// <summary>A waiter gave up by releasing the resource it waited for.</summary>
    public sealed record WaitCancelled(string Resource, string ClientId, LockMode Mode) : LockEvent(Resource, ClientId, Mode);

    /// <summary>A hold's lease ended and the leader's expiry command released it.</summary>
    public sealed record LeaseExpired(string Resource, string ClientId, LockMode Mode, long Token) : LockEvent(Resource, ClientId, Mode);

    /// <summary>The session that held the lock ended (expired or closed), and the hold was released with it.</summary>
    public sealed record SessionHoldReleased(string Resource, string ClientId, LockMode Mode, long Token, long SessionId)
        : LockEvent(Resource, ClientId, Mode);

    /// <summary>The session a waiter belonged to ended (expired or closed), and the wait was withdrawn with it.</summary>
    public sealed record SessionWaitEnded(string Resource, string ClientId, LockMode Mode, long SessionId) : LockEvent(Resource, ClientId, Mode);
}
