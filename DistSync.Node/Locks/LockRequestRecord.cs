namespace DistSync.Node.Locks;

/// <summary>
/// What the table remembers of a request that carried a request id: what it was for, its answer (null while the
/// acquire waits in the queue) and until when a repeat gets that answer.
/// </summary>
internal sealed class LockRequestRecord(string resource, LockRequestKind kind, LockOutcome? answer, long untilMs)
{
    public string Resource { get; } = resource;

    public LockRequestKind Kind { get; } = kind;

    public LockOutcome? Answer { get; set; } = answer;

    public long UntilMs { get; } = untilMs;

    /// <summary>A repeat of the request was applied: the client came back for this answer, so a withdraw of it does nothing.</summary>
    public bool Repeated { get; set; }
}
