using DistSync.Node.Consensus;

namespace DistSync.Node.Locks;

/// <summary>
/// On the leader only: when a lease, a wait deadline or a session has passed, proposes the expiry through the log, so
/// every node releases and times out the same holds at the same index. It sleeps until the next deadline (woken early
/// when a command brings one forward), and otherwise looks a few times a second, which is also how a node that has just
/// become leader notices what is due: an idle node does not wake fifty times a second for nothing.
/// </summary>
public sealed partial class LockExpiryService(RaftHost raft, LockStateMachine machine, LockService locks, ILogger<LockExpiryService> logger) : BackgroundService
{
    /// <summary>The longest sleep: how late a new leader may notice a deadline that passed while it was a follower.</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(250);

    /// <summary>The pause after proposing an expiry, before looking again (the entry is being committed meanwhile).</summary>
    private static readonly TimeSpan AfterProposal = TimeSpan.FromMilliseconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var moved = machine.DeadlineMoved;
                var sleep = Idle;
                // The leader's own clock: the time the expiry entry will carry, so what is due now is due when applied.
                if (raft.LeaderClockMs is { } now && machine.NextDeadlineMs() is { } due)
                {
                    if (due <= now)
                    {
                        await ExpireAsync();
                        await Task.Delay(AfterProposal, stoppingToken);
                        continue;
                    }

                    sleep = TimeSpan.FromMilliseconds(Math.Min(due - now, Idle.TotalMilliseconds));
                }

                await Task.WhenAny(moved, Task.Delay(sleep, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task ExpireAsync()
    {
        try
        {
            await locks.ExpireDueAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Never let one failed proposal end expiry for good: the next turn tries again.
            LogExpiryFailed(ex.Message);
        }
    }

    [LoggerMessage(3001, LogLevel.Warning, "Proposing lock expiry failed: {Reason}")]
    private partial void LogExpiryFailed(string reason);
}
