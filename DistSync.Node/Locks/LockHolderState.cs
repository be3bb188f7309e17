namespace DistSync.Node.Locks;

/// <summary>
/// One holder of a resource, as <see cref="LockTable.GetState"/> shows it. A hold of a session has that
/// <paramref name="SessionId"/>, and <paramref name="ExpiresAtMs"/> is the session's end.
/// </summary>
public sealed record LockHolderState(string ClientId, LockMode Mode, long Token, long ExpiresAtMs, long? SessionId = null);
