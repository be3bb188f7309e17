using System.Text.Json;
using Aspire.Hosting;
using DistSync.Hosting;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.AppHost;

/// <summary>
/// <c>AddDistSync</c> as a deployment manifest describes it: an app that references the cluster gets its connection
/// string, and the nodes are containers with volumes, of the node image (an AppHost that is not ours, the nodes run as the
/// node tool) or built from the node project's Dockerfile.
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
            var volume = Assert.Single(container.GetProperty("volumes").EnumerateArray());
            Assert.Equal($"{node}-data", volume.GetProperty("name").GetString());
            Assert.Equal("/data", volume.GetProperty("target").GetString());
            Assert.Equal("/data", env.GetProperty("DistSync__DataDir").GetString());
            Assert.Equal("Auto", env.GetProperty("DistSync__ClusterState").GetString());
            Assert.Equal("{distsync-redis.connectionString}", env.GetProperty("ConnectionStrings__redis").GetString());
        }

        Assert.StartsWith("container.", resources.GetProperty("distsync-redis").GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodesRunAsAProject_AreContainersBuiltFromItsDockerfile_WithTheFolderAboveAsContext()
    {
        var resources = await PublishAsync(builder => builder.AddDistSync("distsync").WithNodeProject<NodeProject>());

        foreach (var node in new[] { "node1", "node2", "node3" })
        {
            var container = resources.GetProperty(node);
            var build = container.GetProperty("build");
            Assert.Equal("container.v1", container.GetProperty("type").GetString());
            Assert.Equal(AppHostProcess.RepoRoot, Path.GetFullPath(build.GetProperty("context").GetString()!, _dir));
            Assert.Equal(Path.Combine(AppHostProcess.RepoRoot, "DistSync.Node", "Dockerfile"), Path.GetFullPath(build.GetProperty("dockerfile").GetString()!, _dir));
            Assert.Equal($"{node}-data", Assert.Single(container.GetProperty("volumes").EnumerateArray()).GetProperty("name").GetString());
            Assert.Equal(8080, container.GetProperty("bindings").GetProperty("http").GetProperty("targetPort").GetInt32());
            Assert.Equal("Auto", container.GetProperty("env").GetProperty("DistSync__ClusterState").GetString());
        }
    }

    [Fact]
    public void NodesRunAsAProjectWithoutADockerfile_CannotBePublished_AndTheErrorNamesTheFile()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--publisher", "manifest", "--output-path", Path.Combine(_dir, "aspire-manifest.json"), $"--DistSync:DataDir={_dir}"],
            DisableDashboard = true,
        });

        var error = Assert.Throws<DistSyncConfigurationException>(() => builder.AddDistSync("distsync").WithNodeProject<SampleProject>());

        Assert.Equal($"A manifest builds each node from {Path.Combine(AppHostProcess.RepoRoot, "DistSync.Sample", "Dockerfile")}, which does not exist.", error.Message);
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

    private sealed class NodeProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(AppHostProcess.RepoRoot, "DistSync.Node", "DistSync.Node.csproj");
    }

    private sealed class SampleProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(AppHostProcess.RepoRoot, "DistSync.Sample", "DistSync.Sample.csproj");
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
