using DistSync.Node.Consensus;
using DistSync.Raft;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Membership;

/// <summary>
/// On the leader: watches which peers Raft hears from and proposes a new ring membership when a node has been lost
/// past the grace period, or has come back. The proposal names the epoch it replaces, so it applies at most once.
/// </summary>
public sealed class MembershipMonitor(
    RaftHost raft,
    MembershipStateMachine membership,
    IOptions<MembershipOptions> options,
    TimeProvider time,
    ILogger<MembershipMonitor> logger) : BackgroundService
{
    private readonly MembershipPlanner _planner = new(raft.NodeId, options.Value);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval, time);
        var started = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (raft.Status is not { Role: RaftRole.Leader } status)
                {
                    _planner.Reset();
                    continue;
                }

                var current = membership.Current;
                var voters = membership.Voters;
                var reachable = status.Progress.Where(p => p.Key != raft.NodeId && voters.Contains(p.Key))
                    .ToDictionary(p => p.Key, p => p.Value.RecentActive, StringComparer.Ordinal);
                if (_planner.Plan(time.GetElapsedTime(started), current, reachable) is not { } members)
                {
                    continue;
                }

                try
                {
                    var outcome = await raft.ProposeAsync(membership, new MembershipChange(current.Epoch, members), stoppingToken);
                    if (!outcome.Applied)
                    {
                        logger.LogDebug("Ring change not applied: {Reason}", outcome.Refusal);
                    }
                }
                catch (RaftUnavailableException ex)
                {
                    logger.LogDebug("Ring change not committed yet: {Reason}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node is stopping.
        }
    }
}
