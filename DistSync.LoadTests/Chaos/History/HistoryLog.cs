namespace DistSync.LoadTests.Chaos.History;

/// <summary>Every client's operations as they complete, thread-safe; with counts by outcome for the progress line.</summary>
public sealed class HistoryLog
{
    private readonly List<ChaosOp> _ops = [];
    private readonly Lock _gate = new();
    private long _ok;
    private long _failed;
    private long _unknown;

    public long Ok => Interlocked.Read(ref _ok);

    public long Failed => Interlocked.Read(ref _failed);

    public long Unknown => Interlocked.Read(ref _unknown);

    public void Add(ChaosOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        lock (_gate)
        {
            _ops.Add(op);
        }

        _ = op.Outcome switch
        {
            Outcome.Ok => Interlocked.Increment(ref _ok),
            Outcome.Failed => Interlocked.Increment(ref _failed),
            _ => Interlocked.Increment(ref _unknown),
        };
    }

    /// <summary>The operations so far, in invocation order.</summary>
    public IReadOnlyList<ChaosOp> Snapshot()
    {
        lock (_gate)
        {
            return [.. _ops.OrderBy(o => o.Invoked)];
        }
    }
}
