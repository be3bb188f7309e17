using System.Globalization;
using System.Text;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Versus;

/// <summary>DistSync's own figures on each Redis setup side by side, and what the Redis Cluster and its replica wait cost.</summary>
public static partial class VersusTable
{
    /// <summary>
    /// One workload, level and driver of DistSync on each setup that ran it. Ratios are "with / without" the change:
    /// the Redis Cluster (replica wait on) against one Redis, and the replica wait against the same cluster without it;
    /// ops/s below 1 and p50 above 1 mean the change costs.
    /// </summary>
    public sealed record SetupComparison(string Workload, int Workers, string Driver, IReadOnlyDictionary<string, LevelResult> BySetup)
    {
        public double? ClusterOverSingleOps => Ratio(DistSyncRedis.Cluster, DistSyncRedis.Single, l => l.OpsPerSecond);

        public double? ClusterOverSingleP50 => Ratio(DistSyncRedis.Cluster, DistSyncRedis.Single, l => l.P50Ms);

        public double? WaitOverNoWaitOps => Ratio(DistSyncRedis.Cluster, DistSyncRedis.ClusterNoWait, l => l.OpsPerSecond);

        public double? WaitOverNoWaitP50 => Ratio(DistSyncRedis.Cluster, DistSyncRedis.ClusterNoWait, l => l.P50Ms);

        public LevelResult? On(string setup) => BySetup.GetValueOrDefault(setup);

        private double? Ratio(string with, string without, Func<LevelResult, double> figure) =>
            On(with) is { } a && On(without) is { } b && figure(a) > 0 && figure(b) > 0 ? figure(a) / figure(b) : null;
    }

    /// <summary>Per workload, level and driver that ran on more than one setup, in the order they ran.</summary>
    public static IReadOnlyList<SetupComparison> CompareSetups(IReadOnlyList<VersusResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return [.. results
            .Where(r => r.System == VersusSystems.DistSync && r.RedisSetup is not null)
            .GroupBy(r => (r.Workload, r.Workers, r.Driver))
            .Where(g => g.Select(r => r.RedisSetup).Distinct().Count() > 1)
            .Select(g => new SetupComparison(g.Key.Workload, g.Key.Workers, g.Key.Driver,
                g.GroupBy(r => r.RedisSetup!).ToDictionary(s => s.Key, s => s.First().Level, StringComparer.Ordinal)))];
    }

    private static void WriteSetupsText(TextWriter output, IReadOnlyList<VersusResult> results)
    {
        if (CompareSetups(results) is not { Count: > 0 } setups)
        {
            return;
        }

        output.WriteLine("  DistSync on each Redis setup: ops/s and p50 ms; ratios ops/s and p50, the Redis Cluster (WAIT on) over one Redis and WAIT over no wait");
        output.WriteLine($"  {"workload",-10} {"workers",7}  {"driver",-12} {string.Concat(DistSyncRedis.All.Select(s => $"{s,20}"))} {"cluster/single",18} {"wait/no wait",18}");
        foreach (var c in setups)
        {
            var figures = string.Concat(DistSyncRedis.All.Select(s => $"{(c.On(s) is { } l ? string.Create(CultureInfo.InvariantCulture, $"{l.OpsPerSecond:F0} / {l.P50Ms:F2}") : "-"),20}"));
            output.WriteLine($"  {c.Workload,-10} {c.Workers,7}  {c.Driver,-12} {figures} {$"{Times(c.ClusterOverSingleOps)} / {Times(c.ClusterOverSingleP50)}",18} {$"{Times(c.WaitOverNoWaitOps)} / {Times(c.WaitOverNoWaitP50)}",18}");
        }

        output.WriteLine();
    }

    private static string SetupsMarkdown(IReadOnlyList<SetupComparison> setups)
    {
        var text = new StringBuilder();
        text.AppendLine($"| workload | workers | driver | {string.Join(" | ", DistSyncRedis.All.Select(s => $"{DistSyncRedis.Title(s)} ops/s | p50 ms"))} | ops/s cluster/single | p50 cluster/single | ops/s WAIT/no wait | p50 WAIT/no wait |");
        text.AppendLine($"|---|---:|---|{string.Concat(DistSyncRedis.All.Select(_ => "---:|---:|"))}---:|---:|---:|---:|");
        foreach (var c in setups)
        {
            var figures = string.Join(" | ", DistSyncRedis.All.Select(s => $"{Ops(c.On(s))} | {Ms(c.On(s)?.P50Ms)}"));
            text.AppendLine($"| {c.Workload} | {c.Workers} | {c.Driver} | {figures} | {Times(c.ClusterOverSingleOps)} | {Times(c.ClusterOverSingleP50)} | {Times(c.WaitOverNoWaitOps)} | {Times(c.WaitOverNoWaitP50)} |");
        }

        return text.ToString();
    }
}
