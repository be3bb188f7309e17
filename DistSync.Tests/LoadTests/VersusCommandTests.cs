using System.Net.Http.Json;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Versus;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.LoadTests;

/// <summary>
/// The <c>vs</c> command small and for real: etcd, NATS JetStream and Redis started by the tool as local processes, one
/// DistSync cluster from the fixture (given with <c>--urls</c>), every workload for a second at 1 and 2 workers under
/// both drivers; then everything the tool started must be gone.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class VersusCommandTests(VersusCommandTests.Cluster cluster) : IClassFixture<VersusCommandTests.Cluster>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "vs-" + Guid.NewGuid().ToString("n"));

    public sealed class Cluster() : ClusterFixture(new ClusterSettings());

    [Fact]
    public async Task Vs_EveryWorkloadAgainstEachPeer_EveryLevelOkTheRatiosPrintedAndNothingLeftRunning()
    {
        var urls = await cluster.SettledUrlsAsync();
        var startedBefore = PeerGroup.StartedIds.Count;

        var code = await VersusCommand.RunAsync(new Invocation(["vs", "--urls", urls, "--token", cluster.Tokens["admin"], "--levels", "1,2",
            "--seconds", "1", "--warmup", "0", "--system-warmup", "1", "--report", _dir]));

        var report = ReportJson.Read(_dir);
        var summary = string.Join("; ", report.Levels.Select(l => $"{l.Benchmark} {l.Level}: {l.Ok} ok, {l.Refused} refused, {l.Failed} failed {string.Join(", ", l.Details)}"));
        Assert.True(code == 0, summary);
        Assert.True(report.Levels.All(l => l.Ok > 0 && l.Failed == 0), summary);
        // Pairs and round trips at 1 and 2 workers, contention, reads and hits at 2: each on its peer and under both drivers.
        Assert.Equal(3 * (2 + 1 + 1 + 2 + 1), report.Levels.Count);
        foreach (var (workload, peer) in new[] { ("locks", "etcd"), ("contended", "etcd"), ("reads", "etcd"), ("queue", "NATS JetStream"), ("cache", "Redis") })
        {
            Assert.Contains(report.Levels, l => l.Benchmark == workload && l.Level.Contains(peer, StringComparison.Ordinal));
            Assert.Contains(report.Levels, l => l.Benchmark == workload && l.Driver == Drivers.Client);
            Assert.Contains(report.Levels, l => l.Benchmark == workload && l.Driver == Drivers.Http);
        }

        // The Markdown table: a header, its rule, and per workload and level a row per driver, each with its ratio.
        var rows = (await File.ReadAllLinesAsync(Path.Combine(_dir, VersusCommand.MarkdownFile), TestContext.Current.CancellationToken))
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.Equal(2 * 7, rows.Count);
        Assert.All(rows, r => Assert.Matches(@"\| [0-9.]+× \| [0-9.]+× \|$", r));
        Assert.Contains(report.Sections, s => s.Id == "ratios" && s.Rows.Count == 2 * 7);
        Assert.Contains(report.Sections, s => s.Id == "durability" && s.Rows.Count == 4);

        // Each side warmed up once per workload, at the top level, before its first level (peer, client, http: 3 per
        // workload), unrecorded (the level count above). A second on a fresh cluster may end before a first round trip does.
        var warmUps = report.Transcript!.Split('\n').Where(l => l.StartsWith("  warm-up    ", StringComparison.Ordinal) && l.Contains(" ok, ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3 * 5, warmUps.Count);
        Assert.All(warmUps, l => Assert.Matches(@"2 workers for 1 s: [0-9]+ ok, [0-9]+ failed \(not recorded\)", l));

        // Three etcd members, three NATS servers and Redis, all stopped.
        var started = PeerGroup.StartedIds.Skip(startedBefore).ToList();
        Assert.Equal(7, started.Count);
        Assert.All(started, pid => Assert.False(LinuxProcesses.IsAlive(pid), $"pid {pid} still runs"));
    }


    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
