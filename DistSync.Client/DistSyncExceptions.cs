namespace DistSync.Client;

/// <summary>Anything DistSync refused or could not do; the subclasses say which.</summary>
public class DistSyncException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The cluster could not serve the request now (no leader, a partition's owner or a key's home out of reach, Redis
/// down), and the client's retries ran out. <see cref="MayHaveBeenApplied"/> says whether the change may have happened:
/// when true, read the state before doing it again, or repeat it with the same request id.
/// </summary>
public sealed class DistSyncUnavailableException(string message, bool mayHaveBeenApplied, Exception? inner = null) : DistSyncException(message, inner)
{
    public bool MayHaveBeenApplied { get; } = mayHaveBeenApplied;
}

/// <summary>The node refused the request as it was asked (a 4xx problem): bad input, a missing role, a limit.</summary>
public sealed class DistSyncRequestException(int status, string title, string? detail, string? field, string? type = null)
    : DistSyncException($"{status} {title}: {detail}")
{
    public int Status { get; } = status;

    /// <summary>The problem's <c>type</c>, when the node names one (a lost session's is <c>urn:distsync:problem:session-not-found</c>).</summary>
    public string? Type { get; } = type;

    public string Title { get; } = title;

    /// <summary>The problem's <c>detail</c>: what exactly was refused, and why.</summary>
    public string? Detail { get; } = detail;

    public string? Field { get; } = field;
}

/// <summary>A lock was not granted within the wait asked for.</summary>
public sealed class DistSyncLockTimeoutException(string resource, TimeSpan wait)
    : DistSyncException($"The lock on '{resource}' was not granted within {wait.TotalSeconds:0.###} s.")
{
    public string Resource { get; } = resource;
}

/// <summary>Waiting for the lock would close a cycle of waits; <see cref="Cycle"/> names the clients in it.</summary>
public sealed class DistSyncDeadlockException(string resource, IReadOnlyList<string> cycle)
    : DistSyncException($"Waiting for '{resource}' would deadlock: {string.Join(" → ", cycle)}.")
{
    public string Resource { get; } = resource;

    public IReadOnlyList<string> Cycle { get; } = cycle;
}
