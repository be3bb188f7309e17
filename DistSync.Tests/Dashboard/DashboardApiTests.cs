using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DistSync.Tests.Dashboard;

public sealed class DashboardApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetResources_ReturnsCatalogInSnakeCase()
    {
        await using var dashboard = await TestDashboard.StartAsync();

        var resources = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/resources", Ct);

        var node1 = resources.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "node1");
        Assert.Equal("node", node1.GetProperty("type").GetString());
        Assert.Equal(4343, node1.GetProperty("pid").GetInt32());
        Assert.Equal("leader", node1.GetProperty("raft").GetProperty("role").GetString());
        Assert.Equal(17, node1.GetProperty("raft").GetProperty("commit_index").GetInt64());
        Assert.Equal("****", node1.GetProperty("environment").GetProperty("DistSync__ClusterKey").GetString());
    }

    [Theory]
    [InlineData("stop", "Stopped")]
    [InlineData("start", "Running")]
    [InlineData("restart", "Running")]
    public async Task PostCommand_KnownResource_ReachesCatalog(string command, string state)
    {
        await using var dashboard = await TestDashboard.StartAsync();

        using var response = await dashboard.Client.PostAsync($"/api/resources/node2/{command}", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([$"{command}:node2"], dashboard.Catalog.Commands);
        Assert.Equal(state, dashboard.Catalog.GetResources().Single(r => r.Name == "node2").State);
    }

    [Fact]
    public async Task PostCommand_UnknownResourceOrCommand_AnswersProblem()
    {
        await using var dashboard = await TestDashboard.StartAsync();

        using var unknown = await dashboard.Client.PostAsync("/api/resources/node9/restart", null, Ct);
        using var badCommand = await dashboard.Client.PostAsync("/api/resources/node1/explode", null, Ct);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badCommand.StatusCode);
        Assert.Empty(dashboard.Catalog.Commands);
    }

    [Fact]
    public async Task GetConsole_AfterSequence_ReturnsOnlyNewerLines()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        dashboard.Catalog.WriteConsole("node1", "starting");
        dashboard.Catalog.WriteConsole("redis", "ready");
        dashboard.Catalog.WriteConsole("node1", "elected leader", isError: true);

        var first = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/console/node1", Ct);
        var next = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/console/node1?after=1", Ct);

        Assert.Equal(["starting", "elected leader"], first.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()));
        Assert.Equal(3, first.GetProperty("last_sequence").GetInt64());
        var line = Assert.Single(next.GetProperty("lines").EnumerateArray());
        Assert.True(line.GetProperty("is_error").GetBoolean());
    }

    [Fact]
    public async Task GetClusterLocks_NodeAnswers404_ReportsNotAvailable()
    {
        await using var node = await FakeNode.StartAsync(locksJson: null);
        await using var dashboard = await TestDashboard.StartAsync(catalog: new FakeResourceCatalog(node.Url));

        var view = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/cluster/node1/locks", Ct);

        Assert.False(view.GetProperty("available").GetBoolean());
        Assert.Contains("404", view.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetClusterLocks_NodeAnswersState_PassesItThrough()
    {
        await using var node = await FakeNode.StartAsync("""{"locks":{"orders":{"mode":"exclusive","holders":["c1"],"waiters":["c2"],"fencing_token":7}},"wait_for":{"c2":["c1"]}}""");
        await using var dashboard = await TestDashboard.StartAsync(catalog: new FakeResourceCatalog(node.Url));

        var view = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/cluster/node1/locks", Ct);

        Assert.True(view.GetProperty("available").GetBoolean());
        var orders = view.GetProperty("state").GetProperty("locks").GetProperty("orders");
        Assert.Equal(7, orders.GetProperty("fencing_token").GetInt32());
        Assert.Equal("c1", view.GetProperty("state").GetProperty("wait_for").GetProperty("c2")[0].GetString());
    }
}
