using System.Diagnostics;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// Runs <c>total</c> operations with <c>concurrency</c> workers, bounded in count and in time, printing
/// a live progress line to stderr.
/// </summary>
public static class LoadRunner
{
    public static async Task<LatencySummary> RunAsync(string title, int total, int concurrency, TimeSpan maxDuration, Func<int, CancellationToken, Task<OpResult>> operation, RunRecorder? recorder = null)
    {
        var stats = new LatencyStats();
        var next = -1;
        using var deadline = new CancellationTokenSource(maxDuration);
        var clock = Stopwatch.StartNew();
        using var progress = new Timer(_ => Progress(title, stats, total, clock.Elapsed), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));

        async Task Worker()
        {
            while (!deadline.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= total)
                {
                    return;
                }

                var start = Stopwatch.GetTimestamp();
                OpResult result;
                try
                {
                    result = await operation(i, deadline.Token);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    result = OpResult.Failed($"client {ex.GetType().Name}: {ex.Message}");
                }

                stats.Record(start, result.Kind == OpKind.Ok);
                recorder?.Record(title, start, result);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        clock.Stop();
        await progress.DisposeAsync();
        Progress(title, stats, total, clock.Elapsed);
        Console.Error.WriteLine();
        return stats.Summarize(clock.Elapsed);
    }

    private static void Progress(string title, LatencyStats stats, int total, TimeSpan elapsed)
    {
        var done = stats.Successes + stats.Failures;
        Console.Error.Write($"\r{title}: {done}/{total} ({100.0 * done / Math.Max(1, total):F0}%), {stats.Failures} failed, {done / Math.Max(0.001, elapsed.TotalSeconds):F0}/s   ");
    }
}
