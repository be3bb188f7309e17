using System.Diagnostics;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Measurement;

/// <summary>
/// Runs <c>concurrency</c> workers in closed loops for a warm-up (not recorded) and then a measured
/// time, stopping early at <c>maxOps</c> recorded operations, with a live progress line on stderr.
/// Operations in flight at the end finish (they are not cancelled) unless they outlive a hard stop. With a
/// <see cref="BenchSettings.Recorder"/>, each measured operation also goes into the run's report as endpoint
/// "benchmark level", and the level's measured time is marked.
/// </summary>
public static class TimedRunner
{
    /// <summary>How long after the measured time in-flight operations may still take before they are cancelled.</summary>
    private static readonly TimeSpan HardStopGrace = TimeSpan.FromSeconds(15);

    public static async Task<LevelResult> RunAsync(
        string benchmark, string level, int concurrency, BenchSettings settings,
        Func<int, CancellationToken, Task<OpResult>> operation)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(operation);
        var (duration, warmup, maxOps, recorder) = (settings.Duration, settings.Warmup, settings.MaxOps, settings.Recorder);
        var endpoint = $"{benchmark} {level}";
        var stats = new LevelStats();
        var clock = Stopwatch.StartNew();
        long measureStart = long.MaxValue; // Stopwatch timestamp; ops that start before it are warm-up
        var stop = 0;
        using var hardStop = new CancellationTokenSource(warmup + duration + HardStopGrace);
        using var progress = new Timer(_ => Progress(benchmark, level, stats, clock.Elapsed, warmup), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));

        async Task Worker(int worker)
        {
            while (Volatile.Read(ref stop) == 0 && !hardStop.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                OpResult result;
                try
                {
                    result = await operation(worker, hardStop.Token);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    result = OpResult.Failed($"client {ex.GetType().Name}");
                }

                if (start >= Interlocked.Read(ref measureStart))
                {
                    stats.Record(start, result);
                    recorder?.Record(endpoint, start, result);
                    if (stats.Total >= maxOps)
                    {
                        Volatile.Write(ref stop, 1);
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, concurrency).Select(i => Task.Run(() => Worker(i))).ToArray();
        await Task.Delay(warmup);
        Interlocked.Exchange(ref measureStart, Stopwatch.GetTimestamp());
        var measuredFrom = Stopwatch.GetTimestamp();
        var markFrom = recorder?.Elapsed;
        var cpuFrom = Environment.CpuUsage.TotalTime;
        await Task.WhenAny(Task.WhenAll(workers), Task.Delay(duration));
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(workers);
        var measured = Stopwatch.GetElapsedTime(measuredFrom);
        if (recorder is not null && markFrom is { } from)
        {
            recorder.Mark(benchmark, from, recorder.Elapsed);
        }

        var clientCores = (Environment.CpuUsage.TotalTime - cpuFrom) / measured;
        await progress.DisposeAsync();
        Progress(benchmark, level, stats, clock.Elapsed, warmup);
        Console.Error.WriteLine();
        return stats.Summarize(benchmark, level, concurrency, measured) with { ClientCores = clientCores, Driver = settings.Driver };
    }

    private static void Progress(string benchmark, string level, LevelStats stats, TimeSpan elapsed, TimeSpan warmup)
    {
        var measuring = elapsed - warmup;
        var phase = measuring <= TimeSpan.Zero ? "warming up" : $"{measuring.TotalSeconds:F1} s";
        Console.Error.Write($"\r  {benchmark} {level}: {phase}, {stats.Ok} ok, {stats.Refused} refused, {stats.Failed} failed, {stats.Ok / Math.Max(0.001, measuring.TotalSeconds):F0} ok/s      ");
    }
}
