using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// Committed Raft proposals per second: each proposer holds its own lock and renews it in a closed loop;
/// a renew is one Raft entry, answered after it is committed and applied.
/// </summary>
public static class RaftBenchmark
{
    public const string Name = "raft";

    /// <summary>The renewed lease; long enough that no lock expires during a run, short enough that a killed run's locks go away.</summary>
    private const long TtlMs = 600_000;

    public static async Task<IReadOnlyList<LevelResult>> RunAsync(ClusterClient client, BenchSettings settings, IReadOnlyList<int> levels, string via, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(output);
        var nodes = await Targets.DiscoverAsync(client, TimeSpan.FromSeconds(10));
        var targets = Targets.Select(nodes, via);
        var proposers = levels.Max();
        output.WriteLine($"== raft: committed proposals (POST /locks/renew = one Raft entry, answered after commit+apply) ==");
        output.WriteLine($"  nodes      {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}"))}; leader {nodes.First(n => n.LeaderId is not null).LeaderId}");
        output.WriteLine($"  via        {via}: proposers send to {string.Join(", ", targets)} (round-robin)");
        output.WriteLine($"  levels     {string.Join(",", levels)} concurrent proposers; {settings.Describe()}");
        output.WriteLine($"  proposer i holds resource bench-raft-{{i}} (client bench-raft-{{i}}, ttl_ms {TtlMs}) and renews it in a closed loop");

        var resources = Enumerable.Range(0, proposers).Select(i => $"bench-raft-{i}").ToArray();
        var renewals = resources.Select(r => LockBodies.Renew(r, r, TtlMs)).ToArray();
        var renewUrls = resources.Select((_, i) => new Uri(Targets.For(targets, i), "/locks/renew")).ToArray();
        await LockSetup.AcquireAllAsync(client, [.. resources.Select((r, i) => (Targets.For(targets, i), LockBodies.Acquire(r, r, "exclusive", 0, TtlMs)))]);
        try
        {
            var results = new List<LevelResult>();
            foreach (var level in levels)
            {
                results.Add(await TimedRunner.RunAsync(Name, $"{level} proposer{(level == 1 ? "" : "s")}", level, settings,
                    (i, ct) => client.PostAsync(renewUrls[i], renewals[i], ct)));
            }

            ResultTable.WriteText(output, "proposals/s", results);
            return results;
        }
        finally
        {
            await LockSetup.ReleaseAllAsync(client, [.. resources.Select((r, i) => (Targets.For(targets, i), LockBodies.Release(r, r)))]);
        }
    }
}
