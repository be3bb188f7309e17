using System.Net;
using System.Text.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.AppHost;

/// <summary>The three-node cluster the AppHost starts: every node up, documented and reaching Redis.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterStartupTests(ClusterStartupTests.Cluster cluster) : IClassFixture<ClusterStartupTests.Cluster>
{
    public sealed class Cluster() : ClusterFixture(nodes: 3);

    [Fact]
    public async Task Health_EveryNode_IsHealthyAndNamesItself()
    {
        foreach (var name in cluster.NodeNames)
        {
            using var http = cluster.CreateHttpClient(name);
            using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(name, body.GetProperty("node_id").GetString());
            Assert.Contains(body.GetProperty("role").GetString(), new[] { "leader", "follower", "candidate" });
            Assert.Equal("healthy", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Alive_EveryNode_Answers200()
    {
        foreach (var name in cluster.NodeNames)
        {
            using var http = cluster.CreateHttpClient(name);
            using var response = await http.GetAsync(new Uri("/alive", UriKind.Relative), TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task OpenApi_Document_IsServedAndLeavesOutInternalRoutes()
    {
        using var http = cluster.CreateHttpClient("node1");
        var json = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), TestContext.Current.CancellationToken);
        var document = JsonDocument.Parse(json).RootElement;

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(document.GetProperty("paths").EnumerateObject(), p => p.Name.StartsWith("/internal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Docs_InteractiveUi_IsServed()
    {
        using var http = cluster.CreateHttpClient("node2");
        using var response = await http.GetAsync(new Uri("/docs", UriKind.Relative), TestContext.Current.CancellationToken);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Runners_EveryResource_HasALiveProcess()
    {
        foreach (var runner in cluster.App.Runners)
        {
            Assert.NotNull(runner.Pid);
            Assert.False(System.Diagnostics.Process.GetProcessById(runner.Pid.Value).HasExited);
        }
    }
}
