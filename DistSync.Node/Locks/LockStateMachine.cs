using System.Collections.Concurrent;
using DistSync.Node.Consensus;

namespace DistSync.Node.Locks;

/// <summary>
/// The lock table as a replicated state machine: decodes each committed command, applies it, and wakes
/// the local HTTP requests waiting for a grant. Reads from other threads go through the same gate.
/// </summary>
public sealed class LockStateMachine : IReplicatedStateMachine
{
    public const byte CommandTag = 1;

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(string Resource, string ClientId), TaskCompletionSource<LockEvent>> _waiters = new();
    private readonly LockTelemetry _telemetry;
    private LockTable _table = new();

    public LockStateMachine(LockTelemetry telemetry)
    {
        _telemetry = telemetry;
        telemetry.Bind(() => HeldResources);
    }

    public byte Tag => CommandTag;

    public object? Apply(long index, ReadOnlySpan<byte> command)
    {
        if (!LockCommandCodec.TryDecode(command, out var decoded, out var error))
        {
            // Every node refuses the same bytes the same way.
            return new LockOutcome.Rejected(new LockValidationError("command", error ?? "is not a lock command"));
        }

        LockOutcome outcome;
        lock (_gate)
        {
            outcome = _table.Apply(decoded!, index);
        }

        if (outcome is LockOutcome.Waiting && decoded is LockCommand.Acquire acquire)
        {
            // Registered here, on the loop thread, before any later command can grant it: no race with the caller.
            _waiters[(acquire.Resource, acquire.ClientId)] = new TaskCompletionSource<LockEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        foreach (var change in outcome.Events)
        {
            if (change is LockEvent.Granted or LockEvent.WaitTimedOut or LockEvent.WaitCancelled
                && _waiters.TryRemove((change.Resource, change.ClientId), out var waiter))
            {
                waiter.TrySetResult(change);
            }

            _telemetry.Observed(change);
        }

        return outcome;
    }

    /// <summary>The wait registered when this client's acquire was queued; null if it is already over.</summary>
    public Task<LockEvent>? WaitFor(string resource, string clientId) =>
        _waiters.TryGetValue((resource, clientId), out var waiter) ? waiter.Task : null;

    public IReadOnlyList<LockResourceState> GetState()
    {
        lock (_gate)
        {
            return _table.GetState();
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> GetWaitForGraph()
    {
        lock (_gate)
        {
            return _table.GetWaitForGraph();
        }
    }

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
    }
}
