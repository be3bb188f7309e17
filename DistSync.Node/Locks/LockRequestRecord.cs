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
}
