using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Playwright;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OpenTelemetry.Metrics;
using static Microsoft.Playwright.Assertions;

namespace DistSync.Tests.Dashboard;

/// <summary>
/// The pages in a real (headless) Chromium against a dashboard fed by the real OTLP exporter.
/// Run apart with --filter-trait "Category=Browser". Screenshots: see <see cref="BrowserFixture.ScreenshotDirectory"/>.
/// </summary>
[Trait("Category", "Browser")]
public sealed class DashboardBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<BrowserSession> OpenAsync(TestDashboard dashboard, bool logIn = true)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        // Script errors end up in the test output, where a failing page assertion is read.
        page.PageError += (_, e) => TestContext.Current.TestOutputHelper?.WriteLine($"page error: {e}");
        if (logIn)
        {
            await page.GotoAsync(dashboard.Endpoints.LoginUrl.ToString());
            await Expect(page).ToHaveURLAsync(new Uri(dashboard.Endpoints.UiUrl, "/").ToString());
        }

        return new BrowserSession(context, page);
    }

    private static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });

    [Fact]
    public async Task ResourcesPage_AfterTokenLogin_ListsCatalogAndRestartReachesIt()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        await using var session = await OpenAsync(dashboard);
        var page = session.Page;

        await Expect(page.Locator("#resources tbody tr[data-resource]")).ToHaveCountAsync(3);
        await Expect(page.Locator("tr[data-resource='node1']")).ToContainTextAsync("leader");
        await Expect(page.Locator("tr[data-resource='node1']")).ToContainTextAsync("4343");
        await page.Locator("tr[data-resource='node1'] td").First.ClickAsync();
        await Expect(page.Locator("tr.details")).ToContainTextAsync("DistSync__ClusterKey");
        await ScreenshotAsync(page, "resources");

        await page.Locator("tr[data-resource='node2'] button[data-command='restart']").ClickAsync();

        await Expect(page.Locator(".toast")).ToContainTextAsync("restart node2: done");
        Assert.Equal(["restart:node2"], dashboard.Catalog.Commands);
        await Expect(page.Locator("tr[data-resource='node2'] td").Nth(8)).ToHaveTextAsync("2");

        // A change made by the orchestrator itself shows up without a reload.
        await dashboard.Catalog.StopAsync("redis", Ct);
        await Expect(page.Locator("tr[data-resource='redis'] [data-state='Stopped']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task LoginPage_WithoutCookie_AcceptsPastedToken()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        await using var session = await OpenAsync(dashboard, logIn: false);
        var page = session.Page;

        await page.GotoAsync(new Uri(dashboard.Endpoints.UiUrl, "/traces").ToString());
        await Expect(page).ToHaveURLAsync(new Uri(dashboard.Endpoints.UiUrl, "/login").ToString());
        await ScreenshotAsync(page, "login");
        await page.FillAsync("input[name=t]", dashboard.Endpoints.BrowserToken);
        await page.ClickAsync("button[type=submit]");

        await Expect(page.Locator("#resources")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task TracesPage_AfterRealExport_ShowsRaftElectionAndItsWaterfall()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        await using var session = await OpenAsync(dashboard);
        var page = session.Page;
        await page.GotoAsync(new Uri(dashboard.Endpoints.UiUrl, "/traces").ToString());
        await Expect(page.Locator("#traces")).ToContainTextAsync("No traces match.");

        ExportElection(dashboard); // After the page is open: it must appear without a reload.

        var row = page.Locator("#traces tr[data-trace]", new PageLocatorOptions { HasText = "raft.election" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("node1");
        await ScreenshotAsync(page, "traces");

        await row.ClickAsync();

        await Expect(page.Locator("#waterfall .row")).ToHaveCountAsync(3);
        await Expect(page.Locator("#waterfall .row[data-span='raft.request_vote']")).ToHaveCountAsync(2);
        await page.Locator("#waterfall .row[data-span='raft.election']").ClickAsync();
        await Expect(page.Locator("#span-details")).ToContainTextAsync("raft.term");
        await Expect(page.Locator("#span-details")).ToContainTextAsync("leader.elected");
        await ScreenshotAsync(page, "trace-waterfall");
    }

    [Fact]
    public async Task MetricsPage_AfterRealExport_DrawsChartWithDimensionFilter()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        ExportMetrics(dashboard);
        await using var session = await OpenAsync(dashboard);
        var page = session.Page;

        await page.GotoAsync(new Uri(dashboard.Endpoints.UiUrl, "/metrics").ToString());
        await page.Locator("#instruments a[data-instrument='distsync.cache.hits']").ClickAsync();

        await Expect(page.Locator("#chart polyline")).ToHaveCountAsync(2);
        await Expect(page.Locator("select[data-dimension='state']")).ToBeVisibleAsync();
        await ScreenshotAsync(page, "metrics");
        await page.Locator("select[data-dimension='state']").SelectOptionAsync("S");
        await Expect(page.Locator("#chart polyline")).ToHaveCountAsync(1);

        await page.Locator("#instruments a[data-instrument='distsync.lock.wait.duration']").ClickAsync();
        await Expect(page.Locator("#chart polyline")).ToHaveCountAsync(3); // p50, p90, p99
        await ScreenshotAsync(page, "metrics-histogram");
    }

    [Fact]
    public async Task LogsAndConsolePages_ShowRecordsAndLines()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        dashboard.Catalog.WriteConsole("node1", "info: DistSync.Node[0] Now listening on: http://127.0.0.1:8001");
        dashboard.Catalog.WriteConsole("node1", "warn: election timeout, becoming candidate", isError: true);
        dashboard.Store.AddLogs(
        [
            new(0, DateTimeOffset.UtcNow, "node1", "DistSync.Consensus", "warning", 13, "Election timeout after 312 ms; becoming candidate for term 4", null, null, new Dictionary<string, string> { ["term"] = "4" }),
            new(0, DateTimeOffset.UtcNow, "node2", "DistSync.Consensus", "information", 9, "Granted vote to node1 for term 4", null, null, new Dictionary<string, string> { ["term"] = "4" }),
        ]);
        await using var session = await OpenAsync(dashboard);
        var page = session.Page;

        await page.GotoAsync(new Uri(dashboard.Endpoints.UiUrl, "/logs").ToString());
        await Expect(page.Locator("#logs tbody tr")).ToHaveCountAsync(2);
        await page.Locator("#level").SelectOptionAsync("warning");
        await Expect(page.Locator("#logs tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#logs tbody")).ToContainTextAsync("Election timeout");
        await ScreenshotAsync(page, "logs");

        await page.GotoAsync(new Uri(dashboard.Endpoints.UiUrl, "/console?resource=node1").ToString());
        await Expect(page.Locator("#console .line")).ToHaveCountAsync(2);
        dashboard.Catalog.WriteConsole("node1", "info: became leader for term 4");
        await Expect(page.Locator("#console .line")).ToHaveCountAsync(3);
        await ScreenshotAsync(page, "console");
    }

    [Fact]
    public async Task ClusterPage_ShowsRaftRolesAndLockTable()
    {
        await using var node = await FakeNode.StartAsync(
            """{"locks":{"orders":{"mode":"exclusive","holders":["c1"],"waiters":["c2","c3"],"fencing_token":7},"stock":{"mode":"shared","holders":["c2","c3"],"waiters":["c1"],"fencing_token":3}},"wait_for":{"c2":["c1"],"c3":["c1"],"c1":["c2","c3"]}}""");
        await using var bare = await FakeNode.StartAsync(locksJson: null);
        await using var dashboard = await TestDashboard.StartAsync(catalog: new FakeResourceCatalog(node.Url, bare.Url));
        await using var session = await OpenAsync(dashboard);
        var page = session.Page;

        await page.GotoAsync(new Uri(dashboard.Endpoints.UiUrl, "/cluster").ToString());

        await Expect(page.Locator(".card[data-node='node1']")).ToContainTextAsync("leader");
        await Expect(page.Locator(".card[data-node='node2']")).ToContainTextAsync("follower");
        await Expect(page.Locator("#lock-table tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#wait-for circle")).ToHaveCountAsync(3);
        await ScreenshotAsync(page, "cluster");

        await page.Locator("#lock-node").SelectOptionAsync("node2"); // Answers 404: not available.
        await Expect(page.Locator("#locks-unavailable")).ToContainTextAsync("not available");
    }

    private static void ExportElection(TestDashboard dashboard)
    {
        using var source = new ActivitySource("DistSync.Consensus");
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("node1"))
            .AddSource(source.Name)
            .AddOtlpExporter(o => OtlpExporters.Configure(o, dashboard.Endpoints, OtlpExportProtocol.Grpc, "/v1/traces"))
            .Build();
        using (var election = source.StartActivity("raft.election"))
        {
            election?.SetTag("raft.term", 4L);
            election?.SetTag("distsync.node.id", "node1");
            using (source.StartActivity("raft.request_vote")?.SetTag("peer", "node2"))
            {
            }

            using (var failed = source.StartActivity("raft.request_vote"))
            {
                failed?.SetTag("peer", "node3");
                failed?.SetStatus(ActivityStatusCode.Error, "connection refused");
            }

            election?.AddEvent(new ActivityEvent("leader.elected"));
        }

        Assert.True(tracer.ForceFlush(10_000));
    }

    private static void ExportMetrics(TestDashboard dashboard)
    {
        using var meter = new Meter("DistSync.Cache");
        var hits = meter.CreateCounter<long>("distsync.cache.hits", "{hit}", "Reads served from the local cache.");
        var wait = meter.CreateHistogram<double>("distsync.lock.wait.duration", "ms", "Time a lock request waited.");
        using var meters = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("node1"))
            .AddMeter(meter.Name)
            .AddOtlpExporter(o => OtlpExporters.Configure(o, dashboard.Endpoints, OtlpExportProtocol.HttpProtobuf, "/v1/metrics"))
            .Build();
        for (var round = 1; round <= 4; round++)
        {
            hits.Add(round * 3, new KeyValuePair<string, object?>("state", "S"));
            hits.Add(round, new KeyValuePair<string, object?>("state", "M"));
            for (var i = 0; i < 20; i++)
            {
                wait.Record(i * round * 1.5);
            }

            Assert.True(meters.ForceFlush(10_000));
        }
    }
}
