using System.Net.Http.Json;
using DistSync.LoadTests.Benchmarks;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Scenario;
using DistSync.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DistSync.Tests.LoadTests;

/// <summary>
/// The scenario command as a user runs it: virtual users against a real three-node cluster (dashboard on), then its
/// report opened in Chromium; and the lock and queue benchmarks under either driver against the same cluster.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Browser")]
public sealed class ScenarioCommandTests(ScenarioCommandTests.Cluster cluster, BrowserFixture browser) : IClassFixture<ScenarioCommandTests.Cluster>, IClassFixture<BrowserFixture>, IDisposable
{
    internal static readonly string[] Requests =
    [
        ScenarioTasks.StateRequest, ScenarioTasks.AcquireRequest, ScenarioTasks.ReleaseRequest, ScenarioTasks.PublishRequest,
        ScenarioTasks.ConsumeRequest, ScenarioTasks.AckRequest, ScenarioTasks.CacheGetRequest, ScenarioTasks.CacheSetRequest,
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "scenario-" + Guid.NewGuid().ToString("n"));

    public sealed class Cluster() : ClusterFixture(new ClusterSettings { Dashboard = true });

    [Fact]
    public async Task Scenario_UsersOnEveryNode_EveryRequestSucceedsAndTheReportOpensWithItsCharts()
    {
        var urls = await cluster.SettledUrlsAsync();
        var options = CommandLine.Parse(["--urls", urls, "--users", "12", "--spawn-rate", "50", "--wait", "20-80ms", "--seconds", "6", "--resources", "2", "--report", _dir]);

        var code = await ScenarioCommand.RunAsync(options, "scenario (test)", TestContext.Current.CancellationToken);

        var report = ReportJson.Read(_dir);
        var summary = string.Join("; ", report.Endpoints.Select(e =>
            $"{e.Name}: {e.Requests} requests, {e.Ok} ok, {e.Refused} refused [{string.Join(", ", e.Refusals.Select(r => $"{r.Message} x{r.Count}"))}], {e.Failed} failed [{string.Join(", ", e.Failures.Select(f => $"{f.Message} x{f.Count}"))}]"));
        TestContext.Current.SendDiagnosticMessage(summary);
        if (code != 0)
        {
            await Console.Error.WriteLineAsync($"scenario test: {summary}"); // CI keeps the process's output, not the message
        }
        Assert.True(code == 0, summary);
        Assert.Equal(Requests.Order(), report.Endpoints.Select(e => e.Name).Order());
        Assert.True(report.Endpoints.All(e => e.Ok > 0 && e.Failed == 0), summary);
        Assert.Equal(report.Endpoints.Sum(e => e.Requests), report.Total!.Requests);
        EndpointReport Of(string name) => report.Endpoints.Single(e => e.Name == name);

        // Each granted acquire is followed by its release; a refused one (two resources, twelve users: some are) is not.
        Assert.True(Of(ScenarioTasks.AcquireRequest).Ok == Of(ScenarioTasks.ReleaseRequest).Requests, summary);
        Assert.True(Of(ScenarioTasks.AcquireRequest).Refusals.All(r => r.Message == "409 busy"), summary);
        // Every publish is followed by a consume, and an ack only follows a consume that got a message.
        Assert.True(Of(ScenarioTasks.PublishRequest).Requests == Of(ScenarioTasks.ConsumeRequest).Requests, summary);
        Assert.True(Of(ScenarioTasks.AckRequest).Requests is > 0 && Of(ScenarioTasks.AckRequest).Requests <= Of(ScenarioTasks.ConsumeRequest).Ok, summary);

        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(Path.Combine(_dir, ReportWriter.PageName)).AbsoluteUri);
        await Assertions.Expect(page.Locator("#endpoints tr")).ToHaveCountAsync(Requests.Length + 2); // the header, a row per request, Aggregated
        var images = page.Locator("img");
        await Assertions.Expect(images).ToHaveCountAsync(2 + Requests.Length);
        var widths = await images.EvaluateAllAsync<int[]>("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)");
        Assert.All(widths, w => Assert.True(w > 0, "an image did not decode"));
        await BrowserFixture.ScreenshotAsync(page, "loadtests-scenario-report");
    }

    [Theory]
    [InlineData(Drivers.Client)]
    [InlineData(Drivers.Http)]
    public async Task LocksAndQueueBenchmarks_EitherDriver_EveryLevelHasOkOperationsAndNoFailures(string driver)
    {
        var urls = await cluster.SettledUrlsAsync();
        string[] common = ["--urls", urls, "--token", cluster.Tokens["admin"], "--driver", driver, "--seconds", "1", "--warmup", "0"];
        var locksDir = Path.Combine(_dir, "locks");
        var queueDir = Path.Combine(_dir, "queue");

        var locks = await BenchmarkCommand.RunAsync(new Invocation(["locks", .. common, "--levels", "2", "--contended-clients", "3", "--state-clients", "2", "--report", locksDir]));
        var queue = await BenchmarkCommand.RunAsync(new Invocation(["queue", .. common, "--levels", "2", "--batch-clients", "2", "--batch-size", "10", "--redeliveries", "5", "--report", queueDir]));

        foreach (var (code, dir) in new[] { (locks, locksDir), (queue, queueDir) })
        {
            var report = ReportJson.Read(dir);
            var summary = string.Join("; ", report.Levels.Select(l => $"{l.Benchmark} {l.Level} [{l.Driver}]: {l.Ok} ok, {l.Refused} refused, {l.Failed} failed {string.Join(", ", l.Details)}"));
            Assert.True(code == 0, summary);
            Assert.True(report.Levels.All(l => l.Ok > 0 && l.Failed == 0), summary);
            // Each level says how it was driven: the lock-state reads are raw requests under either driver.
            Assert.All(report.Levels, l => Assert.Equal(l.Benchmark == "state" ? Drivers.Http : driver, l.Driver));
            Assert.StartsWith(driver, report.Settings["driver"], StringComparison.Ordinal);
        }

        Assert.Contains("redelivery after a consumer died: 5 messages back", ReportJson.Read(queueDir).Transcript, StringComparison.Ordinal);
    }


    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
