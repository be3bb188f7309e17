using System.Collections.Concurrent;
using DistSync.Node.Consensus;

namespace DistSync.Node.Locks;

/// <summary>
/// The lock table as a replicated state machine: decodes each committed command, applies it, and wakes
/// the local HTTP requests waiting for a grant. Reads from other threads go through the same gate.
/// </summary>
public sealed class LockStateMachine : IReplicatedStateMachine<LockCommand, LockApplied>
{
    public const byte CommandTag = 1;

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(string Resource, string ClientId), TaskCompletionSource<LockEvent>> _waiters = new();
    private readonly LockTelemetry _telemetry;
    private LockTable _table = new();
    private TaskCompletionSource _deadlineMoved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LockStateMachine(LockTelemetry telemetry)
    {
        _telemetry = telemetry;
        telemetry.Bind(() => HeldResources);
    }

    public byte Tag => CommandTag;

    public byte[] Encode(LockCommand command) => LockCommandCodec.Encode(command);

    public LockApplied Apply(long index, long clockMs, ReadOnlySpan<byte> command)
    {
        if (!LockCommandCodec.TryDecode(command, out var decoded, out var error))
        {
            // Every node refuses the same bytes the same way.
            return new LockApplied(new LockOutcome.Rejected(new LockValidationError("command", error ?? "is not a lock command")), null, index, clockMs);
        }

        // The leader's time at this entry. A command of the old format carries its proposer's clock instead (its
        // entry has no leader time), and the later of the two applies, so time never goes back across the upgrade.
        decoded = decoded! with { NowMs = Math.Max(clockMs, decoded.NowMs) };
        LockOutcome outcome;
        bool earlier;
        lock (_gate)
        {
            var before = _table.NextDeadlineMs();
            outcome = _table.Apply(decoded, index);
            earlier = _table.NextDeadlineMs() is { } after && (before is null || after < before);
        }

        if (earlier)
        {
            SignalDeadlineMoved();
        }

        Task<LockEvent>? wait = null;
        if (outcome is LockOutcome.Waiting && decoded is LockCommand.Acquire acquire)
        {
            // Created here, on the loop thread, before any later command can grant it, and handed back with
            // the outcome: the caller can never miss its grant. A repeated acquire joins the same wait.
            wait = _waiters.GetOrAdd((acquire.Resource, acquire.ClientId),
                _ => new TaskCompletionSource<LockEvent>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        foreach (var change in outcome.Events)
        {
            if (change is LockEvent.Granted or LockEvent.WaitTimedOut or LockEvent.WaitCancelled or LockEvent.SessionWaitEnded
                && _waiters.TryRemove((change.Resource, change.ClientId), out var waiter))
            {
                waiter.TrySetResult(change);
            }

            _telemetry.Observed(change);
        }

        return new LockApplied(outcome, wait, index, decoded.NowMs);
    }

    public IReadOnlyList<LockResourceState> GetState()
    {
        lock (_gate)
        {
            return _table.GetState();
        }
    }

    /// <summary>One resource's holders and waiters, or null when nobody holds or waits for it.</summary>
    public LockResourceState? GetState(string resource)
    {
        lock (_gate)
        {
            return _table.GetState(resource);
        }
    }

    /// <summary>An open session, or null; callers show it to its owner only.</summary>
    public LockSessionState? GetSession(long sessionId)
    {
        lock (_gate)
        {
            return _table.GetSession(sessionId);
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> GetWaitForGraph()
    {
        lock (_gate)
        {
            return _table.GetWaitForGraph();
        }
    }

    /// <summary>
    /// Completes when an applied command (or a restored snapshot) brought the next deadline forward: a new lease, wait or
    /// session that ends before everything known so far. Read it before <see cref="NextDeadlineMs"/>, so no move is missed.
    /// </summary>
    public Task DeadlineMoved => Volatile.Read(ref _deadlineMoved).Task;

    private void SignalDeadlineMoved() =>
        Interlocked.Exchange(ref _deadlineMoved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public long? NextDeadlineMs()
    {
        lock (_gate)
        {
            return _table.NextDeadlineMs();
        }
    }

    public int HeldResources
    {
        get
        {
            lock (_gate)
            {
                return _table.ResourceCount;
            }
        }
    }

    public byte[] Snapshot()
    {
        lock (_gate)
        {
            return _table.Serialize();
        }
    }

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var table = snapshot.IsEmpty ? new LockTable() : LockTable.Restore(snapshot);
        lock (_gate)
        {
            _table = table;
        }

        SignalDeadlineMoved();

        // Waits that ended inside the snapshot produced no events here: settle them from the restored table.
        foreach (var ((resource, clientId), waiter) in _waiters)
        {
            var state = table.GetState(resource);
            if (state?.Waiters.Any(w => w.ClientId == clientId) == true)
            {
                continue;
            }

            _waiters.TryRemove((resource, clientId), out _);
            var hold = state?.Holders.FirstOrDefault(h => h.ClientId == clientId);
            waiter.TrySetResult(hold is null
                ? new LockEvent.WaitTimedOut(resource, clientId, LockMode.Exclusive)
                : new LockEvent.Granted(resource, clientId, hold.Mode, hold.Token, hold.ExpiresAtMs));
        }
    }
}
