using DistSync.Node.Consensus;

namespace DistSync.Node.Locks;

/// <summary>
/// On the leader only: when a lease or a wait deadline has passed, proposes the expiry through the log,
/// so every node releases and times out the same holds at the same index.
/// </summary>
public sealed partial class LockExpiryService(RaftHost raft, LockStateMachine machine, LockService locks, ILogger<LockExpiryService> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // The leader's own clock: the time the expiry entry will carry, so what is due now is due when applied.
                if (raft.LeaderClockMs is not { } now || machine.NextDeadlineMs() is not { } due || due > now)
                {
                    continue;
                }

                try
                {
                    await locks.ExpireDueAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Never let one failed proposal end expiry for good: the next tick tries again.
                    LogExpiryFailed(ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(3001, LogLevel.Warning, "Proposing lock expiry failed: {Reason}")]
    private partial void LogExpiryFailed(string reason);
}
