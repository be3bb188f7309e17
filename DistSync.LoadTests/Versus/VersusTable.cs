using System.Globalization;
using System.Text;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// The side-by-side figures: per workload and level, each system's ops/s, p50 and p99, and for each DistSync driver the
/// ratio DistSync / peer (ops/s above 1 means DistSync is ahead; latency above 1 means DistSync is slower).
/// </summary>
public static partial class VersusTable
{
    /// <summary>One DistSync driver's level set beside the peer's same level; either side may be missing.</summary>
    public sealed record Comparison(string Workload, int Workers, VersusResult? Peer, VersusResult? DistSync)
    {
        public double? OpsRatio => Ratio(DistSync?.Level.OpsPerSecond, Peer?.Level.OpsPerSecond);

        public double? P50Ratio => Ratio(DistSync?.Level.P50Ms, Peer?.Level.P50Ms);

        public double? P99Ratio => Ratio(DistSync?.Level.P99Ms, Peer?.Level.P99Ms);

        private static double? Ratio(double? ours, double? theirs) => ours is { } a && theirs is { } b && b > 0 && a > 0 ? a / b : null;
    }

    /// <summary>Per workload and level (in the order they ran), one comparison per DistSync driver (or one without DistSync).</summary>
    public static IReadOnlyList<Comparison> Compare(IReadOnlyList<VersusResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var comparisons = new List<Comparison>();
        foreach (var level in results.GroupBy(r => (r.Workload, r.Workers)))
        {
            var peer = level.FirstOrDefault(r => r.System == VersusWorkloads.Peer(r.Workload));
            var ours = level.Where(r => r.System == VersusSystems.DistSync).ToList();
            comparisons.AddRange(ours.Count == 0
                ? [new Comparison(level.Key.Workload, level.Key.Workers, peer, null)]
                : ours.Select(d => new Comparison(level.Key.Workload, level.Key.Workers, peer, d)));
        }

        return comparisons;
    }

    /// <summary>
    /// Whether DistSync's figures must say which Redis setup each is from: when any is on a setup other than the default
    /// one Redis (a run with only the default prints as it always has).
    /// </summary>
    public static bool NamesSetups(IReadOnlyList<VersusResult> results) =>
        results.Any(r => r.RedisSetup is { } setup && setup != DistSyncRedis.Single);

    /// <summary>A row's system: "etcd", "DistSync", or "DistSync [cluster]" when setups are named.</summary>
    public static string Label(VersusResult result, bool namesSetups)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Label(result.System, result.RedisSetup, namesSetups);
    }

    public static string Label(string system, string? redisSetup, bool namesSetups) =>
        namesSetups && redisSetup is { } setup ? $"{VersusSystems.Title(system)} [{setup}]" : VersusSystems.Title(system);

    /// <summary>Every level's row, and under each level the ratio rows, as the tool prints them; then the setups side by side.</summary>
    public static void WriteText(TextWriter output, IReadOnlyList<VersusResult> results)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(results);
        var namesSetups = NamesSetups(results);
        var width = Math.Max(16, results.Select(r => Label(r, namesSetups).Length).DefaultIfEmpty(0).Max());
        output.WriteLine();
        output.WriteLine($"  {"workload",-10} {"workers",7}  {"system".PadRight(width)} {"driver",-12} {"ops/s",10} {"p50 ms",8} {"p99 ms",8} {"ok",9} {"refused",8} {"failed",7}");
        foreach (var level in results.GroupBy(r => (r.Workload, r.Workers)))
        {
            foreach (var r in level)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r.Workload,-10} {r.Workers,7}  {Label(r, namesSetups).PadRight(width)} {r.Driver,-12} {r.Level.OpsPerSecond,10:F0} {r.Level.P50Ms,8:F2} {r.Level.P99Ms,8:F2} {r.Level.Ok,9} {r.Level.Refused,8} {r.Level.Failed,7}"));
                foreach (var detail in r.Level.Details)
                {
                    output.WriteLine($"  {"",-21}{detail}");
                }
            }

            foreach (var c in Compare([.. level]).Where(c => c.Peer is not null && c.DistSync is not null))
            {
                var ratio = $"{Label(c.DistSync!, namesSetups)}/{VersusSystems.Title(c.Peer!.System)}";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {"",-10} {"",7}  {ratio.PadRight(width)} {c.DistSync!.Driver,-12} {Times(c.OpsRatio),10} {Times(c.P50Ratio),8} {Times(c.P99Ratio),8}"));
            }
        }

        output.WriteLine();
        WriteSetupsText(output, results);
    }

    /// <summary>
    /// A Markdown table for docs/benchmarks.md: one row per workload, level and DistSync driver (and Redis setup, when
    /// named), the peer's figures, then DistSync's, then the ratios; then the setups' table when more than one ran.
    /// </summary>
    public static string Markdown(IReadOnlyList<VersusResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var namesSetups = NamesSetups(results);
        var setupHeader = namesSetups ? " DistSync on |" : "";
        var setupRule = namesSetups ? "---|" : "";
        var text = new StringBuilder();
        text.AppendLine($"| workload | workers | peer | peer ops/s | peer p50 ms | peer p99 ms | DistSync driver |{setupHeader} DistSync ops/s | DistSync p50 ms | DistSync p99 ms | ops/s DistSync/peer | p50 DistSync/peer |");
        text.AppendLine($"|---|---:|---|---:|---:|---:|---|{setupRule}---:|---:|---:|---:|---:|");
        foreach (var c in Compare(results))
        {
            var peer = c.Peer?.Level;
            var ours = c.DistSync?.Level;
            var setup = namesSetups ? $" {(c.DistSync?.RedisSetup is { } s ? DistSyncRedis.Title(s) : "-")} |" : "";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Workload} | {c.Workers} | {(c.Peer is null ? VersusSystems.Title(VersusWorkloads.Peer(c.Workload)) : VersusSystems.Title(c.Peer.System))} | {Ops(peer)} | {Ms(peer?.P50Ms)} | {Ms(peer?.P99Ms)} | {c.DistSync?.Driver ?? "-"} |{setup} {Ops(ours)} | {Ms(ours?.P50Ms)} | {Ms(ours?.P99Ms)} | {Times(c.OpsRatio)} | {Times(c.P50Ratio)} |"));
        }

        if (CompareSetups(results) is { Count: > 0 } setups)
        {
            text.AppendLine();
            text.Append(SetupsMarkdown(setups));
        }

        return text.ToString();
    }

    /// <summary>"0.42×", or "-" when a side is missing.</summary>
    public static string Times(double? ratio) => ratio is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r:F2}×") : "-";

    private static string Ops(Reports.LevelResult? level) => level is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{level.OpsPerSecond:N0}");

    private static string Ms(double? ms) => ms is { } m ? string.Create(CultureInfo.InvariantCulture, $"{m:F2}") : "-";
}
