using System.Globalization;
using System.Text;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>Prints results as an aligned text table (per benchmark) or a Markdown table (for docs/benchmarks.md).</summary>
public static class ResultTable
{
    public static void WriteText(TextWriter output, string rateName, IReadOnlyList<LevelResult> results)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(results);
        var width = Math.Max(24, results.Max(r => r.Benchmark.Length + r.Level.Length + 1));
        var drivers = results.Any(r => r.Driver is not null);
        output.WriteLine();
        output.WriteLine($"  {"level".PadRight(width)}{(drivers ? $" {"driver",-6}" : "")} {rateName,12} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8} {"ok",9} {"refused",8} {"failed",7} {"client cpu",10}");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(r.Benchmark + " " + r.Level).PadRight(width)}{(drivers ? $" {r.Driver ?? "",-6}" : "")} {r.OpsPerSecond,12:F0} {r.P50Ms,8:F2} {r.P90Ms,8:F2} {r.P99Ms,8:F2} {r.MaxMs,8:F2} {r.Ok,9} {r.Refused,8} {r.Failed,7} {r.ClientCores * 100,9:F0}%"));
            foreach (var detail in r.Details)
            {
                output.WriteLine($"  {"",-4}{detail}");
            }
        }

        output.WriteLine($"  load average after this benchmark: {MachineInfo.LoadAverage()} (1/5/15 min; 'client cpu' is this process, 100% = one core)");
        output.WriteLine();
    }

    /// <summary>
    /// A Markdown table: benchmark, level, ops/s, p50, p90, p99 (ms), and failures when there were any; with a driver
    /// column after the level when some level was run under <c>--driver</c>.
    /// </summary>
    public static string Markdown(IReadOnlyList<LevelResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var drivers = results.Any(r => r.Driver is not null);
        var text = new StringBuilder();
        text.AppendLine(drivers ? "| benchmark | level | driver | ops/s | p50 ms | p90 ms | p99 ms | failed |" : "| benchmark | level | ops/s | p50 ms | p90 ms | p99 ms | failed |");
        text.AppendLine(drivers ? "|---|---|---|---:|---:|---:|---:|---:|" : "|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Benchmark} | {r.Level} |{(drivers ? $" {r.Driver ?? "-"} |" : "")} {r.OpsPerSecond:N0} | {r.P50Ms:F2} | {r.P90Ms:F2} | {r.P99Ms:F2} | {r.Failed} |"));
        }

        return text.ToString();
    }
}
