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
            Assert.Equal("healthy", body.GetProperty("checks").GetProperty("StackExchange.Redis").GetProperty("status").GetString());
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

    [Theory]
    [InlineData("/sessions", "post", "200", "session_id")]
    [InlineData("/sessions/keepalive", "post", "200", "ttl_remaining_ms")]
    [InlineData("/sessions/{id}", "get", "200", "holds")]
    [InlineData("/sessions/{id}", "delete", "200", "holds_released")]
    [InlineData("/locks/resource", "get", "200", "holders")]
    [InlineData("/cluster/topology", "get", "200", "partition_key_format")]
    public async Task OpenApi_Document_DescribesWhatClientsRouteAndHoldBy(string path, string method, string status, string property)
    {
        using var http = cluster.CreateHttpClient("node1");
        var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), TestContext.Current.CancellationToken)).RootElement;

        var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
        var schema = operation.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/json").GetProperty("schema");

        Assert.Contains(property, Properties(document, schema));
        Assert.True(operation.TryGetProperty("summary", out _), $"{method} {path} has no summary");
    }

    [Fact]
    public async Task OpenApi_Document_GivesAcquireItsSessionId_AndSessionErrorsTheirProblems()
    {
        using var http = cluster.CreateHttpClient("node1");
        var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), TestContext.Current.CancellationToken)).RootElement;
        var paths = document.GetProperty("paths");

        var acquire = paths.GetProperty("/locks/acquire").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Contains("session_id", Properties(document, acquire));
        Assert.Contains("ttl_ms", Properties(document, acquire));
        var keepAlive = paths.GetProperty("/sessions/keepalive").GetProperty("post").GetProperty("responses");
        Assert.True(keepAlive.GetProperty("404").GetProperty("content").TryGetProperty("application/problem+json", out _), "the keep-alive's 404 is a problem");
    }

    /// <summary>A schema's property names, following a $ref into the components.</summary>
    private static IReadOnlyList<string> Properties(JsonElement document, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
        }

        return [.. schema.GetProperty("properties").EnumerateObject().Select(p => p.Name)];
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
    public void Resources_RedisAndEveryNode_RunUnderAspireWithALiveProcess()
    {
        Assert.True(cluster.IsRunning("redis"), $"redis is {cluster.StateOf("redis")}");
        foreach (var name in cluster.NodeNames)
        {
            Assert.True(cluster.IsRunning(name), $"{name} is {cluster.StateOf(name)}");
            var pid = cluster.NodePid(name);
            Assert.NotNull(pid);
            Assert.False(System.Diagnostics.Process.GetProcessById(pid.Value).HasExited);
        }
    }

    [Fact]
    public async Task ClusterView_EveryNode_ServesThePageAndTheSameRaftPicture()
    {
        using var http = cluster.CreateHttpClient("node3");
        var page = await http.GetStringAsync(new Uri("/cluster", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Contains("DistSync cluster", page, StringComparison.Ordinal);

        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(30));
        foreach (var name in cluster.NodeNames)
        {
            using var client = cluster.CreateHttpClient(name);
            var state = JsonDocument.Parse(await client.GetStringAsync(new Uri("/cluster/state", UriKind.Relative), TestContext.Current.CancellationToken)).RootElement;
            Assert.Equal(name, state.GetProperty("served_by").GetString());
            var nodes = state.GetProperty("nodes").EnumerateArray().ToList();
            Assert.Equal(cluster.NodeNames, nodes.Select(n => n.GetProperty("node_id").GetString()));
            Assert.All(nodes, n => Assert.True(n.GetProperty("reachable").GetBoolean()));
            Assert.Equal(leader.NodeId, Assert.Single(nodes, n => n.GetProperty("role").GetString() == "leader").GetProperty("node_id").GetString());
            Assert.True(state.GetProperty("sections").TryGetProperty("locks", out _), "the lock section is missing");
        }
    }
}
