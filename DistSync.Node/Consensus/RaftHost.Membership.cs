using System.Collections.Concurrent;
using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// Membership changes through the host: one server at a time, proposed on the leader's loop, answered once the change is
/// applied here (a configuration takes effect when applied; see <see cref="RaftNode.ProposeConfigChange"/>). Every node
/// hands each applied change to the machines that follow the configuration (<see cref="IConfigurationObserver"/>).
/// </summary>
public sealed partial class RaftHost
{
    private readonly ConcurrentDictionary<long, ConfigWaiter> _configWaiters = new();

    /// <summary>The voters of the configuration this node has applied (the founders before the log is open).</summary>
    public IReadOnlyList<string> Voters => _status?.Configuration.Voters is { Count: > 0 } voters ? [.. voters.Order(StringComparer.Ordinal)] : _founding.Founders;

    /// <summary>The configuration this node has applied, or null before the log is open.</summary>
    public RaftConfiguration? Configuration => _status?.Configuration;

    /// <summary>
    /// Makes <paramref name="change"/> on this node, which must lead, and returns once it is applied here with the
    /// configuration it led to. A refusal (<see cref="ProposeStatus.ConfigChangeRefused"/> and the others) comes back as
    /// the core's <see cref="ProposeResult"/>, unapplied; a change appended but not applied in time throws
    /// <see cref="RaftUnavailableException"/> (it may still apply).
    /// </summary>
    public async Task<(ProposeResult Result, RaftConfiguration? After)> ChangeConfigurationAsync(ConfigChange change, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<ProposeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = new ConfigWaiter();
        Enqueue(new LoopInput.ChangeConfig(change, answer, waiter));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ProposalTimeout);
        try
        {
            var result = await answer.Task.WaitAsync(timeout.Token);
            if (!result.IsAccepted)
            {
                return (result, null);
            }

            return (result, await waiter.Applied.Task.WaitAsync(timeout.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RaftUnavailableException(
                $"The configuration change was not applied within {_options.ProposalTimeout.TotalSeconds:F1} s; it may still apply.", LeaderId, mayHaveBeenApplied: true);
        }
        finally
        {
            if (waiter.Index > 0)
            {
                _configWaiters.TryRemove(waiter.Index, out _);
            }
        }
    }

    /// <summary>On the loop: propose, and remember who waits for the entry.</summary>
    private void ProposeConfigChange(RaftNode raft, LoopInput.ChangeConfig input)
    {
        var result = raft.ProposeConfigChange(input.Change);
        if (result.IsAccepted)
        {
            input.Waiter.Index = result.Index;
            input.Waiter.Term = result.Term;
            _configWaiters[result.Index] = input.Waiter;
        }

        input.Answer.TrySetResult(result);
    }

    /// <summary>On the loop, in log order: an applied configuration change, for the observers and its waiter.</summary>
    private void ApplyConfigChange(Entry entry)
    {
        ConfigChange change;
        RaftConfiguration after;
        try
        {
            change = ConfigChange.Decode(entry.Data, out after);
        }
        catch (FormatException ex)
        {
            // The core applied it already (it decodes the same bytes), so this cannot happen short of a bug: say so.
            LogMalformedConfigChange(entry.Index, ex.Message);
            return;
        }

        LogConfigurationApplied(entry.Index, change.Type.ToString(), change.NodeId, after.ToString());
        foreach (var machine in _machines.Values)
        {
            if (machine is IConfigurationObserver observer)
            {
                observer.ConfigurationApplied(entry.Index, change, after);
            }
        }

        if (_configWaiters.TryRemove(entry.Index, out var waiter))
        {
            if (waiter.Term == entry.Term)
            {
                waiter.Applied.TrySetResult(after);
            }
            else
            {
                // Another leader's entry took the index: ours was never committed.
                waiter.Applied.TrySetException(new RaftUnavailableException("Leadership changed before the configuration change committed; it was not applied.", LeaderId));
            }
        }
    }

    private sealed class ConfigWaiter
    {
        public long Index { get; set; }

        public long Term { get; set; }

        public TaskCompletionSource<RaftConfiguration> Applied { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(2012, LogLevel.Information, "Configuration change at index {Index} applied: {Type} {Node}; now {Configuration}")]
    private partial void LogConfigurationApplied(long index, string type, string node, string configuration);

    [LoggerMessage(2013, LogLevel.Critical, "Configuration change at index {Index} is malformed ({Reason}); the members' addresses may be out of date")]
    private partial void LogMalformedConfigChange(long index, string reason);
}
