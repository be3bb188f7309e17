using System.Net;
using System.Text.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.AppHost;

/// <summary>Both local Redis servers the AppHost can run as an executable resource, reached by a node through Aspire's client.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RedisServersTests
{
    [Theory]
    [InlineData("redis-server", "redis-server")]
    [InlineData("garnet", "dotnet")]
    public async Task Start_EitherServer_RunsItAndTheNodeReachesIt(string kind, string command)
    {
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 1, Redis = kind });
        using var http = cluster.CreateHttpClient("node1");

        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);
        var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState("redis", out var redis));
        Assert.Equal(command, Path.GetFileName(redis.Snapshot.Properties.Single(p => p.Name == "executable.path").Value?.ToString()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", health.GetProperty("checks").GetProperty("StackExchange.Redis").GetProperty("status").GetString());
    }
}
