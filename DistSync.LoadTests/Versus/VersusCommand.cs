using System.Globalization;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// <c>vs</c>: DistSync beside etcd (locks), NATS JetStream (the queue) and Redis (the cache) on this machine. Starts each
/// peer as local processes, and DistSync through the AppHost unless <c>--urls</c> names a running cluster; runs the
/// same closed-loop workloads against each, level by level, each system in turn; prints each system's figures, the
/// ratios DistSync / peer per driver and what each side's acknowledgement promises; stops and deletes everything it
/// started. With <c>--distsync-redis</c>, DistSync runs on each Redis setup in turn (see <see cref="DistSyncRedis"/>). Exit code 1 if
/// any operation failed or a setup did not start.
/// </summary>
public static class VersusCommand
{
    public const string Name = "vs";

    /// <summary>The Markdown file <c>--report DIR</c> adds, ready for docs/benchmarks.md.</summary>
    public const string MarkdownFile = "versus.md";

    public static async Task<int> RunAsync(Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var options = VersusOptions.From(invocation.Options(VersusOptions.Names));
        TextWriter output = Console.Out;
        if (options.Report is { } directory)
        {
            ReportOutput.Prepare(directory);
            output = new TranscriptWriter(Console.Out);
        }

        var cancel = CtrlC.FirstPressCancels(() =>
        {
            PeerGroup.StopAllNow();
            ManagedCluster.StopAllNow();
        });
        invocation.PrintPreamble(output);
        return await RunAsync(options, invocation.CommandText, invocation.LoadBefore, output, cancel);
    }

    public static async Task<int> RunAsync(VersusOptions options, string commandText, string loadBefore, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var run = DateTimeOffset.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
        var settings = new BenchSettings(options.Urls ?? [], options.Duration, options.Warmup, 2_000_000)
        {
            Recorder = options.Report is null ? null : new RunRecorder(),
        };
        var results = new List<VersusResult>();
        var setupFailed = false;
        await using var lineup = await VersusLineup.StartAsync(options, run, output, cancellationToken);
        output.WriteLine();
        output.WriteLine($"== vs: DistSync beside {string.Join(", ", options.Peers.Select(VersusSystems.Title).DefaultIfEmpty("nothing"))} ==");
        output.WriteLine($"  timing     {settings.Describe()}; closed loop: each worker does its operation back to back");
        if (options.SystemWarmup > TimeSpan.Zero)
        {
            output.WriteLine($"  warm-up    before its first level of a workload, each system runs it at the top level for {options.SystemWarmup.TotalSeconds:0.#} s, unrecorded");
        }

        foreach (var workload in options.Workloads)
        {
            var levels = VersusWorkloads.Levels(workload, options.Levels);
            output.WriteLine($"  {workload,-10} {VersusWorkloads.Operation(workload)}; {(levels.Count == 0 ? "not run: it needs a level above 1 worker" : $"at {string.Join(",", levels)} workers")}");
        }

        WriteDurability(output, lineup);
        output.WriteLine("  note       every system runs on this machine the whole time (each in a process session of its own), idle while another is measured");
        if (options.RedisSetups.Count > 1 && options.Systems.Contains(VersusSystems.DistSync))
        {
            output.WriteLine($"  note       DistSync runs on {string.Join(", then ", options.RedisSetups)}, one cluster at a time; the peers and any lock workloads " +
                             $"are measured with the first only (locks go through Raft, not Redis); {string.Join(" and ", options.Workloads.Where(DistSyncRedis.Uses))} on each");
        }

        output.WriteLine();
        try
        {
            // Without DistSync the setups make no difference: one pass, for the peers.
            var setups = options.Systems.Contains(VersusSystems.DistSync) ? options.RedisSetups : [.. options.RedisSetups.Take(1)];
            var namesSetups = options.RedisSetups.Any(s => s != DistSyncRedis.Single);
            for (var phase = 0; phase < setups.Count; phase++)
            {
                var setup = setups[phase];
                if (phase > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        await lineup.SwitchDistSyncAsync(setup, output, cancellationToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // Minutes of figures are already measured: keep them, and say which setup is missing and why.
                        output.WriteLine($"DistSync on {DistSyncRedis.Title(setup)} did not start ({ex.Message}); the levels measured so far follow.");
                        setupFailed = true;
                        break;
                    }
                }

                foreach (var workload in options.WorkloadsOn(setup))
                {
                    // After the first setup only DistSync runs again: the peers' figures do not depend on it.
                    var targets = lineup.Targets.Where(t => t.Runs(workload) && (phase == 0 || t.System == VersusSystems.DistSync)).ToList();
                    var levels = VersusWorkloads.Levels(workload, options.Levels);
                    string? RedisSetupOf(IVersusTarget target) => target.System == VersusSystems.DistSync ? setup : null;
                    string SystemOf(IVersusTarget target) => VersusTable.Label(target.System, RedisSetupOf(target), namesSetups);
                    if (options.SystemWarmup > TimeSpan.Zero)
                    {
                        foreach (var target in targets)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            await WarmUpAsync(target, workload, levels.Max(), SystemOf(target), settings, options.SystemWarmup, output, cancellationToken);
                        }
                    }

                    foreach (var workers in levels)
                    {
                        foreach (var target in targets)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            var redisSetup = RedisSetupOf(target);
                            var system = SystemOf(target);
                            output.WriteLine($"  {workload}, {workers} worker{(workers == 1 ? "" : "s")}: {system} ({target.Driver}) ...");
                            await using var prepared = await target.PrepareAsync(workload, workers, cancellationToken);
                            var level = await TimedRunner.RunAsync(workload, $"{workers} workers, {system} {target.Driver}", workers,
                                settings with { Driver = target.Driver }, prepared.Operation);
                            results.Add(new VersusResult(workload, workers, target.System, target.Driver, level, redisSetup));
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine("stopped (Ctrl+C): the levels measured so far follow.");
        }

        var failed = setupFailed || results.Any(r => r.Level.Failed > 0);
        lineup.KeepLogs = failed;
        VersusTable.WriteText(output, results);
        WriteDurability(output, lineup);
        output.WriteLine($"  load average after the run: {MachineInfo.LoadAverage()} (1/5/15 min)");
        output.WriteLine();
        var markdown = Markdown(results, lineup, commandText, settings);
        output.WriteLine("== summary (Markdown) ==");
        output.WriteLine();
        output.Write(markdown);
        if (options.Report is { } directory && settings.Recorder is { } recorder)
        {
            output.Flush();
            VersusReport.Write(directory, recorder, results, lineup, commandText, loadBefore, settings, markdown, output);
        }

        return failed ? 1 : 0;
    }

    /// <summary>
    /// The workload at its top level for <paramref name="time"/>, unrecorded, before the system's first measured level of
    /// it: a fresh DistSync node runs first-tier JIT code, so its first level (one worker) would otherwise measure the
    /// compiler too. Every side gets the same warm-up.
    /// </summary>
    private static async Task WarmUpAsync(IVersusTarget target, string workload, int workers, string system, BenchSettings settings, TimeSpan time,
        TextWriter output, CancellationToken cancellationToken)
    {
        await using var prepared = await target.PrepareAsync(workload, workers, cancellationToken);
        var warm = settings with { Duration = time, Warmup = TimeSpan.Zero, Recorder = null, Driver = target.Driver };
        var level = await TimedRunner.RunAsync(workload, $"{workers} workers, {system} {target.Driver}, warm-up", workers, warm, prepared.Operation);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  warm-up    {workload}, {system} ({target.Driver}), {workers} workers for {time.TotalSeconds:0.#} s: {level.Ok} ok, {level.Failed} failed (not recorded)"));
    }

    private static void WriteDurability(TextWriter output, VersusLineup lineup)
    {
        foreach (var side in lineup.Sides)
        {
            output.WriteLine($"  durability {side.Label} ({side.Version}): {side.Durability}");
        }
    }

    /// <summary>The table with what a reader needs around it: machine, load, command, durability.</summary>
    private static string Markdown(IReadOnlyList<VersusResult> results, VersusLineup lineup, string commandText, BenchSettings settings)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {MachineInfo.Describe()}; every system and the load generator on this one machine; load average at the end {MachineInfo.LoadAverage()}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `{commandText}` ({settings.Describe()}).");
        text.AppendLine();
        foreach (var side in lineup.Sides)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- **{side.Label}** ({side.Version}): {side.Durability}.");
        }

        text.AppendLine();
        text.Append(VersusTable.Markdown(results));
        return text.ToString();
    }
}
