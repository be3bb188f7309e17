using DistSync.LoadTests.Chaos;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Reports;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Chaos;

/// <summary>
/// CI's fault schedule: a fixed seed, every workload and every nemesis, on a real three-node cluster started through
/// the AppHost with its peer links through the harness's proxies. Fails on any violation the checkers find, and on any
/// answer a node should never give (a 5xx other than 503).
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ChaosScheduleTests
{
    /// <summary>Any seed strikes each nemesis once within the first five faults; this one has passed since the harness was built.</summary>
    private const int Seed = 11;

    [Fact]
    public async Task FixedSchedule_EveryNemesis_AllWorkloads_NoViolation()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.Combine(Path.GetTempPath(), "distsync-tests", $"chaos-{Guid.NewGuid():n}");
        var settings = new ChaosSettings(TimeSpan.FromSeconds(100), ChaosSettings.AllWorkloads, Nemeses.All, Seed, ClientsPerWorkload: 4);
        var progress = new StringWriter();

        var result = await ChaosRun.RunAsync(settings, Path.Combine(folder, "apphost.log"), TextWriter.Synchronized(progress), live: false, ct);
        ChaosReport.Write(result, ChaosReport.Build(result, "chaos (CI schedule)", "", []), folder, TextWriter.Null);

        var planned = FaultSchedule.Generate(Seed, settings.Length, Nemeses.All);
        Assert.Equal(planned, result.Faults.Select(f => f.Planned));
        Assert.Equal(Nemeses.All.Order(), result.Faults.Select(f => f.Planned.Nemesis).Distinct().Order());
        Assert.DoesNotContain(result.Faults, f => f.Done.Contains("no ", StringComparison.Ordinal)); // every fault found its target
        Assert.True(result.Problems.Count == 0, "the harness itself broke: " + string.Join("; ", result.Problems));
        Assert.True(result.Violations.Count == 0,
            $"{result.Violations.Count} violation(s); history and report in {folder}:{Environment.NewLine}{string.Join(Environment.NewLine, result.Violations.Take(5))}{Environment.NewLine}{progress}");

        // Each workload did real work, and every operation kind came back ok many times.
        foreach (var kind in new[] { OpKinds.Acquire, OpKinds.Release, OpKinds.LockState, OpKinds.Publish, OpKinds.Consume, OpKinds.Ack, OpKinds.CacheRead, OpKinds.CacheWrite })
        {
            Assert.True(result.History.Count(o => o.Kind == kind && o.Outcome == Outcome.Ok) >= 50, $"{kind}: {result.History.Count(o => o.Kind == kind && o.Outcome == Outcome.Ok)} ok");
        }

        var broken = result.History.Where(o => o.Detail is { } d && d.StartsWith('5') && !d.StartsWith("503", StringComparison.Ordinal)).ToList();
        Assert.True(broken.Count == 0, $"answers no node should give:{Environment.NewLine}{string.Join(Environment.NewLine, broken.Take(10))}");

        // The saved history says the same offline, and the nodes' own logs were kept beside it.
        Assert.Empty(ChaosRun.Check(HistoryFile.Read(Path.Combine(folder, HistoryFile.FileName))));
        Assert.True(File.Exists(Path.Combine(folder, ReportWriter.PageName)));
        Assert.Contains("Leader is now", await File.ReadAllTextAsync(Path.Combine(folder, "logs", "node1.log"), ct), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "logs", "cluster-key.log")), "a parameter writes no log, so it gets no file");
        Directory.Delete(folder, recursive: true);
    }
}
