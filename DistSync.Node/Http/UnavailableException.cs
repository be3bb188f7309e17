namespace DistSync.Node.Http;

/// <summary>
/// A part of the cluster cannot serve the request now (no Raft leader, a partition owner or cache home out of reach).
/// <see cref="MayHaveBeenApplied"/> is false only when the change certainly never started: then a retry is safe.
/// Once it may have started, the caller must find out (read, or retry with the same request id) before doing it again.
/// </summary>
public abstract class UnavailableException(string message, bool mayHaveBeenApplied) : Exception(message)
{
    public bool MayHaveBeenApplied { get; } = mayHaveBeenApplied;

    /// <summary>The problem's title: what is unavailable.</summary>
    public abstract string Title { get; }

    /// <summary>More for the problem body (e.g. where the leader is).</summary>
    public virtual IEnumerable<KeyValuePair<string, object?>> Details => [];
}
