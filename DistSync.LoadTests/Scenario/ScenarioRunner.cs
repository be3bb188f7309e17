using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// Runs a scenario as Locust does: users arrive at the spawn rate, each loops over the weighted mix with think time
/// between tasks, until the duration ends or <paramref name="cancel"/> fires (Ctrl+C); then each user finishes the
/// task it is in (no lock is left held) and stops, closing its client. The live view is refreshed every second meanwhile.
/// </summary>
public static class ScenarioRunner
{
    /// <summary>How long users in the middle of a task may take to finish after the run ends, before they are cut off.</summary>
    private static readonly TimeSpan FinishGrace = TimeSpan.FromSeconds(35);

    /// <summary>
    /// Runs the scenario; returns the time from its start until it was told to stop (the rates' divisor).
    /// <paramref name="client"/> finds the nodes and sends what the users' own clients have no call for.
    /// </summary>
    public static async Task<TimeSpan> RunAsync(
        ClusterClient client, IReadOnlyList<Uri> targets, ScenarioOptions options, RunRecorder recorder, LiveView view, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(view);
        var run = new ScenarioRun(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), options.Resources, options.Keys, options.LockWaitMs);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stop.CancelAfter(options.Duration);
        using var hardStop = new CancellationTokenSource();
        var started = recorder.Elapsed;
        var stoppedAt = TimeSpan.Zero;
        using var graceOnStop = stop.Token.Register(() =>
        {
            stoppedAt = recorder.Elapsed;
            hardStop.CancelAfter(FinishGrace);
        });
        var spawned = 0;

        async Task SpawnAsync()
        {
            var users = new List<Task>(options.Users);
            for (var i = 0; i < options.Users && !stop.IsCancellationRequested; i++)
            {
                var wait = started + TimeSpan.FromSeconds(i / options.SpawnRate) - recorder.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                var user = new VirtualUser(i, client, recorder, Targets.For(targets, i), targets, run);
                users.Add(Task.Run(async () =>
                {
                    await using (user)
                    {
                        await user.RunAsync(options.Mix, options.Think, stop.Token, hardStop.Token);
                    }
                }));
                Interlocked.Increment(ref spawned);
            }

            recorder.Mark("users arriving", started, recorder.Elapsed);
            await Task.WhenAll(users);
        }

        var all = SpawnAsync();
        await view.ShowAsync(all, () => new LiveView.Status(Volatile.Read(ref spawned), options.Users, recorder.Elapsed - started, options.Duration, stop.IsCancellationRequested), recorder);
        await all;

        // Rates are over the run until it was told to stop: the users' last tasks finishing do not dilute them.
        return (stoppedAt > started ? stoppedAt : recorder.Elapsed) - started;
    }
}
