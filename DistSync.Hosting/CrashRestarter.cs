using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistSync.Hosting;

/// <summary>
/// Restarts a node (or the Redis the AppHost runs) whose process ended with a non-zero exit code (a crash, an OOM
/// kill, the Kill command), with exponential backoff from 1 s to 30 s, as a process supervisor would; Aspire itself
/// leaves a crashed process Finished. A node stopped on purpose (Aspire's Stop exits 0) stays stopped. Off with DistSync:RestartOnCrash=false.
/// </summary>
public sealed partial class CrashRestarter(
    ResourceNotificationService notifications,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<CrashRestarter> logger) : BackgroundService
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>A node that ran this long before crashing starts again from the first delay.</summary>
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, string?> _lastState = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _crashes = new(StringComparer.Ordinal);

    public static TimeSpan Backoff(int consecutiveCrashes) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Min(consecutiveCrashes - 1, 10)));

    /// <summary>The node's exit code when it will not start with its data folder (DistSync.Node's Program): restarting cannot help.</summary>
    public const int RefusedToStart = 2;

    /// <summary>A running node whose process ended with a non-zero code; a clean stop (Aspire's Stop) exits 0.</summary>
    public static bool IsCrash(string? previousState, string? state, int? exitCode) =>
        previousState == KnownResourceStates.Running && KnownResourceStates.TerminalStates.Contains(state) && exitCode is not (0 or null or RefusedToStart);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                if (change.Resource.HasAnnotationOfType<RestartOnCrashAnnotation>())
                {
                    Observe(change, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private void Observe(ResourceEvent change, CancellationToken stoppingToken)
    {
        var state = change.Snapshot.State?.Text;
        _lastState.TryGetValue(change.ResourceId, out var previous);
        _lastState[change.ResourceId] = state;
        if (!IsCrash(previous, state, change.Snapshot.ExitCode) || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return;
        }

        var ranFor = change.Snapshot.StartTimeStamp is { } started && change.Snapshot.StopTimeStamp is { } stopped ? stopped - started : TimeSpan.Zero;
        var crashes = ranFor >= StableAfter ? 1 : _crashes.GetValueOrDefault(change.ResourceId) + 1;
        _crashes[change.ResourceId] = crashes;
        var delay = Backoff(crashes);
        Log.Restarting(logger, change.Resource.Name, change.Snapshot.ExitCode!.Value, delay.TotalSeconds);
        _ = RestartAsync(change.Resource, delay, stoppingToken);
    }

    private async Task RestartAsync(IResource resource, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            // Someone may have started it by hand meanwhile.
            if (notifications.TryGetCurrentState(resource.Name, out var current) && KnownResourceStates.TerminalStates.Contains(current.Snapshot.State?.Text))
            {
                var result = await services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, stoppingToken);
                if (!result.Success)
                {
                    Log.RestartFailed(logger, resource.Name, result.Message ?? "unknown error");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9201, Level = LogLevel.Warning, Message = "{Node} exited with code {ExitCode}; restarting it in {Seconds} s")]
        public static partial void Restarting(ILogger logger, string node, int exitCode, double seconds);

        [LoggerMessage(EventId = 9202, Level = LogLevel.Error, Message = "Could not restart {Node}: {Reason}")]
        public static partial void RestartFailed(ILogger logger, string node, string reason);
    }
}
