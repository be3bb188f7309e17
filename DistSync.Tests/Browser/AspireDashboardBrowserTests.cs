using System.Text.RegularExpressions;
using DistSync.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DistSync.Tests.Browser;

/// <summary>
/// The real Aspire dashboard in headless Chromium, as a user meets it: log in with the token, see redis and three
/// nodes with their Raft roles, Kill the leader from its menu, watch another node lead, find the election on the
/// Traces page and chart <c>distsync.raft.term</c> on the Metrics page. Screenshots land in TestResults/screenshots.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Browser")]
public sealed partial class AspireDashboardBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const float Patience = 60_000;

    [Fact]
    public async Task Dashboard_KillTheLeaderFromItsMenu_AnotherLeads_ElectionTracedAndTermCharted()
    {
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { Dashboard = true });
        var first = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(60));
        var page = await browser.NewPageAsync();

        // Log in with the token; the dashboard lands on Resources.
        await page.GotoAsync(cluster.Dashboard!.LoginUrl.ToString());
        foreach (var name in cluster.NodeNames.Prepend("redis"))
        {
            await Assertions.Expect(Row(page, name)).ToBeVisibleAsync(new() { Timeout = Patience });
        }

        await Assertions.Expect(Row(page, first.NodeId)).ToContainTextAsync($"cluster view · leader, term {first.Term}", new() { Timeout = Patience });
        foreach (var follower in cluster.NodeNames.Where(n => n != first.NodeId))
        {
            await Assertions.Expect(Row(page, follower)).ToContainTextAsync("cluster view · follower", new() { Timeout = Patience });
        }

        await BrowserFixture.ScreenshotAsync(page, "dashboard-resources");

        // Kill the leader from its "..." menu.
        var kill = page.Locator("fluent-menu-item", new() { HasText = "Kill (SIGKILL)" });
        await ClickUntilVisibleAsync(Row(page, first.NodeId).Locator("fluent-button[aria-label='Actions']"), kill);
        await kill.ClickAsync();
        await Assertions.Expect(Row(page, first.NodeId)).ToContainTextAsync("Finished", new() { Timeout = Patience });
        var second = await RaftProbe.AgreedLeaderAsync(cluster, [.. cluster.NodeNames.Where(n => n != first.NodeId)], TimeSpan.FromSeconds(60));
        Assert.NotEqual(first.NodeId, second.NodeId);
        await Assertions.Expect(Row(page, second.NodeId)).ToContainTextAsync($"cluster view · leader, term {second.Term}", new() { Timeout = Patience });
        await BrowserFixture.ScreenshotAsync(page, "dashboard-after-kill");

        // The new leader's election is a trace of its own.
        await page.GotoAsync(new Uri(cluster.Dashboard.Url, $"/traces/resource/{second.NodeId}").ToString());
        await page.Locator("input[name='traces-search']").FillAsync("raft.election");
        var election = page.GetByText(new Regex($"^{second.NodeId}: raft\\.election$"));
        await Assertions.Expect(election.First).ToBeVisibleAsync(new() { Timeout = Patience });
        await election.First.ClickAsync();
        // The trace's waterfall; selecting the span opens its attributes (a click before the page is interactive is lost).
        await ClickUntilVisibleAsync(page.Locator("tr.fluent-data-grid-row", new() { HasText = "raft.election" }).First, page.GetByText("raft.outcome").First);
        await BrowserFixture.ScreenshotAsync(page, "dashboard-election-trace");

        // distsync.raft.term charted for that node.
        await page.GotoAsync(new Uri(cluster.Dashboard.Url, $"/metrics/resource/{second.NodeId}?meter=DistSync.Consensus&instrument=distsync.raft.term").ToString());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "distsync.raft.term" })).ToBeVisibleAsync(new() { Timeout = Patience });
        await Assertions.Expect(page.Locator(".js-plotly-plot").First).ToBeVisibleAsync(new() { Timeout = Patience });
        await BrowserFixture.ScreenshotAsync(page, "dashboard-raft-term");
    }

    private static async Task ClickUntilVisibleAsync(ILocator target, ILocator appears)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(Patience);
        while (true)
        {
            await target.ClickAsync(new() { Timeout = Patience });
            try
            {
                await Assertions.Expect(appears).ToBeVisibleAsync(new() { Timeout = 2_000 });
                return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
                // Not interactive yet: click again.
            }
        }
    }

    private static ILocator Row(IPage page, string resource) =>
        page.Locator("tr.resource-row").Filter(new() { Has = page.Locator($"td[title$=': {resource}']") });
}
