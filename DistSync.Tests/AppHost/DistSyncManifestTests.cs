using System.Text.Json;
using Aspire.Hosting;
using DistSync.Hosting;

namespace DistSync.Tests.AppHost;

/// <summary>
/// <c>AddDistSync</c> in an AppHost that is not ours (the nodes run as the node tool), as its deployment manifest
/// describes it: an app that references the cluster gets its connection string, and the nodes are containers with volumes.
/// Built in process, no processes started.
/// </summary>
public sealed class DistSyncManifestTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));

    [Fact]
    public async Task ReferencingApp_GetsTheClusterConnectionString_OfEveryNodeAndTheWriterToken()
    {
        var resources = await PublishAsync(builder =>
        {
            var distsync = builder.AddDistSync("distsync");
            builder.AddExecutable("orders", "orders", ".").WithReference(distsync).WaitFor(distsync);
        });

        Assert.Equal("{distsync.connectionString}", resources.GetProperty("orders").GetProperty("env").GetProperty("ConnectionStrings__distsync").GetString());
        var distsync = resources.GetProperty("distsync");
        Assert.Equal("value.v0", distsync.GetProperty("type").GetString());
        Assert.Equal("Endpoints={node1.bindings.http.url},{node2.bindings.http.url},{node3.bindings.http.url};Token={writer-token.value}",
            distsync.GetProperty("connectionString").GetString());
    }

    [Fact]
    public async Task NodesRunAsATool_AreContainersOfTheNodeImage_WithTheirLogOnAVolume()
    {
        var resources = await PublishAsync(builder => builder.AddDistSync("distsync").WithNodeImage("registry.example/distsync-node:1.2"));

        foreach (var node in new[] { "node1", "node2", "node3" })
        {
            var container = resources.GetProperty(node);
            var env = container.GetProperty("env");
            Assert.StartsWith("container.", container.GetProperty("type").GetString(), StringComparison.Ordinal);
            Assert.Equal("registry.example/distsync-node:1.2", container.GetProperty("image").GetString());
            Assert.Equal("/data", Assert.Single(container.GetProperty("volumes").EnumerateArray()).GetProperty("target").GetString());
            Assert.Equal("/data", env.GetProperty("DistSync__DataDir").GetString());
            Assert.Equal("{distsync-redis.connectionString}", env.GetProperty("ConnectionStrings__redis").GetString());
        }

        Assert.StartsWith("container.", resources.GetProperty("distsync-redis").GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithRedis_UsesThatRedis_AndLeavesNoneOfItsOwn()
    {
        var resources = await PublishAsync(builder =>
        {
            var cache = builder.AddConnectionString("cache");
            builder.AddDistSync("distsync").WithRedis(cache);
        });

        Assert.Equal("{cache.connectionString}", resources.GetProperty("node2").GetProperty("env").GetProperty("ConnectionStrings__redis").GetString());
        Assert.False(resources.TryGetProperty("distsync-redis", out _));
        Assert.False(resources.TryGetProperty("distsync-redis-password", out _));
    }

    [Fact]
    public void AddDistSync_Twice_IsRefused()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true, Args = [$"--DistSync:DataDir={_dir}"] });
        builder.AddDistSync("distsync");

        var error = Assert.Throws<DistSyncConfigurationException>(() => builder.AddDistSync("other"));

        Assert.Equal("This AppHost already has a DistSync cluster ('distsync'): one per AppHost (its nodes are node1..nodeN).", error.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private async Task<JsonElement> PublishAsync(Action<IDistributedApplicationBuilder> configure)
    {
        var path = Path.Combine(_dir, "aspire-manifest.json");
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--publisher", "manifest", "--output-path", path, $"--DistSync:DataDir={_dir}"],
            AssemblyName = typeof(DistSyncResource).Assembly.GetName().Name,
            DisableDashboard = true,
        });
        configure(builder);
        await using var app = builder.Build();
        await app.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        var text = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.GetProperty("resources").Clone();
    }
}
