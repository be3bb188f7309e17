using DistSync.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DistSync.Tests.Dashboard;

/// <summary>
/// The dashboard as a user meets it: the AppHost's own session (dashboard, Redis, three real nodes
/// exporting OTLP), driven in headless Chromium. Kill the leader from the Resources page and watch
/// the election arrive as a trace.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Browser")]
public sealed class ClusterDashboardBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dashboard_RestartLeaderFromResourcesPage_ElectionTraceAndMetricsAppear()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3, dashboard: true);
        var endpoints = cluster.Session.Dashboard!;
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        SetDefaultExpectTimeout(30_000); // real processes: a restart takes seconds, not milliseconds
        var page = await context.NewPageAsync();

        // Log in with the token the AppHost prints; the four resources are listed with their Raft roles.
        await page.GotoAsync(endpoints.LoginUrl.ToString());
        await Expect(page.Locator("#resources tbody tr[data-resource]")).ToHaveCountAsync(4);
        await Expect(page.Locator($"tr[data-resource='{leader.NodeId}']")).ToContainTextAsync("leader");
        await Screenshot(page, "cluster-resources");

        // Restart the leader from the UI: the others elect a new one.
        await page.Locator($"tr[data-resource='{leader.NodeId}'] button[data-command='restart']").ClickAsync();
        await Expect(page.Locator(".toast")).ToContainTextAsync($"restart {leader.NodeId}: done");
        var next = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        Assert.True(next.Term > leader.Term);

        // Lock traffic shows up as lock.acquire spans.
        var locks = new LockClient(cluster.CreateHttpClient(cluster.NodeNames[0]));
        Assert.Equal("acquired", (await locks.AcquireAsync("dashboard-demo", "viewer")).Status);
        await Eventually.UntilAsync(() => cluster.Session.Telemetry!.GetTraces(new DistSync.AppHost.Dashboard.Store.TraceQuery(Name: "lock.acquire")).Count > 0, Patience, "a lock.acquire trace");

        // The election is a trace with a waterfall.
        await page.GotoAsync(new Uri(endpoints.UiUrl, "/traces").ToString());
        var election = page.Locator("#traces tr[data-trace]", new PageLocatorOptions { HasText = "raft.election" }).First;
        await election.ClickAsync();
        await Expect(page.Locator("#waterfall .row[data-span='raft.election']").First).ToBeVisibleAsync();
        await page.Locator("#waterfall .row[data-span='raft.election']").First.ClickAsync();
        await Expect(page.Locator("#span-details")).ToContainTextAsync("raft.outcome");
        await Screenshot(page, "cluster-election-waterfall");

        // Raft metrics are charted.
        await page.GotoAsync(new Uri(endpoints.UiUrl, "/metrics").ToString());
        await page.Locator("#instruments a[data-instrument='distsync.raft.term']").First.ClickAsync();
        await Expect(page.Locator("#chart polyline").First).ToBeVisibleAsync();
        await Screenshot(page, "cluster-metrics");

        // The cluster page shows roles and the lock table.
        await page.GotoAsync(new Uri(endpoints.UiUrl, "/cluster").ToString());
        await Expect(page.Locator($".card[data-node='{next.NodeId}']")).ToContainTextAsync("leader");
        await Expect(page.Locator("#lock-table")).ToContainTextAsync("dashboard-demo");
        await Screenshot(page, "cluster-page");
    }

    private static Task Screenshot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });
}
