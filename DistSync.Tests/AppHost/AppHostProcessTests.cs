using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.AppHost;

/// <summary>The AppHost as a user runs it: its own process, its exit codes and error lines, Ctrl+C, and the azd manifest.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AppHostProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Help_PrintsTheOptions_AndExitsZero()
    {
        var (code, stdout, _) = await AppHostProcess.RunAsync(["--help"], Patience);

        Assert.Equal(0, code);
        Assert.Contains("--nodes N", stdout, StringComparison.Ordinal);
        Assert.Contains("--DistSync:Nodes=5", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadNodeCount_ExitsTwoWithOneLineError()
    {
        var (code, _, stderr) = await AppHostProcess.RunAsync(["--nodes", "4"], Patience);

        Assert.Equal(2, code);
        Assert.Equal("error: DistSync:Nodes must be 1, 3, 5 or 7 (an odd number, so a majority exists), not 4.", stderr.Trim());
    }

    [Fact]
    public async Task PortInUse_ExitsTwoWithOneLineError_AndStartsNothing()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var (code, _, stderr) = await AppHostProcess.RunAsync(["--nodes", "1", "--base-port", port.ToString(CultureInfo.InvariantCulture)], Patience);

        Assert.Equal(2, code);
        Assert.Equal($"error: Port {port} (node1) is already in use: stop what holds it (is another AppHost running?) or pick other ports with --base-port.", stderr.Trim());
    }

    [Fact]
    public async Task Sigterm_StopsEveryProcessTheAppHostStarted()
    {
        var port = AppHostProcess.FreePort();
        using var apphost = AppHostProcess.Start(["--nodes", "1", "--base-port", port.ToString(CultureInfo.InvariantCulture), "--no-restart"]);
        _ = apphost.Process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = apphost.Process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.UntilAsync(async () => (await http.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken)).IsSuccessStatusCode,
            Patience, "node1 healthy under the AppHost");
        var started = apphost.Descendants();
        Assert.True(started.Count >= 4, $"expected DCP, redis, the dashboard and node1; found {started.Count} processes");

        var stopping = Stopwatch.StartNew();
        Process.Start("kill", ["-TERM", apphost.Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        await apphost.Process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Patience, TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(() => !started.Any(AppHostProcess.IsAlive), TimeSpan.FromSeconds(60), "every process the AppHost started has exited");

        TestContext.Current.SendDiagnosticMessage($"stopped {started.Count} processes in {stopping.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(0, apphost.Process.ExitCode);
    }

    [Fact]
    public async Task Manifest_DescribesWhatAzdDeploys()
    {
        var dir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));
        var path = Path.Combine(dir, "aspire-manifest.json");
        try
        {
            // With the sample app, as `dotnet run --project DistSync.AppHost` has it.
            var (code, stdout, stderr) = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", path, "--DistSync:Sample=true"], Patience);
            Assert.True(code == 0, $"exit {code}: {stdout} {stderr}");

            var text = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
            var resources = JsonDocument.Parse(text).RootElement.GetProperty("resources");
            Assert.DoesNotContain("localhost", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);

            // Redis: a container with its data on a volume, durable as the local one (AOF, fsync before each answer).
            var redis = resources.GetProperty("redis");
            Assert.StartsWith("container.", redis.GetProperty("type").GetString(), StringComparison.Ordinal);
            Assert.Equal("/data", Assert.Single(redis.GetProperty("volumes").EnumerateArray()).GetProperty("target").GetString());
            Assert.Contains("--appendonly yes --appendfsync always", redis.GetProperty("args").EnumerateArray().Last().GetString(), StringComparison.Ordinal);

            foreach (var secret in new[] { "cluster-key", "redis-password", "reader-token", "writer-token", "admin-token" })
            {
                var parameter = resources.GetProperty(secret);
                Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
                Assert.True(parameter.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean(), $"{secret} is not secret");
            }

            // The cluster as one resource: what an app that references it gets as ConnectionStrings__distsync.
            var distsync = resources.GetProperty("distsync");
            Assert.Equal("value.v0", distsync.GetProperty("type").GetString());
            Assert.Equal("Endpoints={node1.bindings.http.url},{node2.bindings.http.url},{node3.bindings.http.url};Token={writer-token.value}",
                distsync.GetProperty("connectionString").GetString());
            var sample = resources.GetProperty("sample");
            Assert.StartsWith("project.", sample.GetProperty("type").GetString(), StringComparison.Ordinal);
            Assert.Equal("{distsync.connectionString}", sample.GetProperty("env").GetProperty("ConnectionStrings__distsync").GetString());

            // Each node: a container built from the node's Dockerfile with the repository as its context, its log on a volume
            // of its own, reachable inside the environment only, and left to judge from its volume whether the cluster exists.
            var volumes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (node, peers) in new[] { ("node1", new[] { "node2", "node3" }), ("node2", ["node1", "node3"]), ("node3", ["node1", "node2"]) })
            {
                var container = resources.GetProperty(node);
                var env = container.GetProperty("env");
                var build = container.GetProperty("build");
                Assert.Equal("container.v1", container.GetProperty("type").GetString());
                Assert.Equal(AppHostProcess.RepoRoot, Path.GetFullPath(build.GetProperty("context").GetString()!, dir).TrimEnd('/'));
                Assert.Equal(Path.Combine(AppHostProcess.RepoRoot, "DistSync.Node", "Dockerfile"), Path.GetFullPath(build.GetProperty("dockerfile").GetString()!, dir));
                var volume = Assert.Single(container.GetProperty("volumes").EnumerateArray());
                Assert.Equal("/data", volume.GetProperty("target").GetString());
                Assert.False(volume.GetProperty("readOnly").GetBoolean());
                Assert.True(volumes.Add(volume.GetProperty("name").GetString()!), $"{node} shares its volume");
                var http = Assert.Single(container.GetProperty("bindings").EnumerateObject());
                Assert.Equal("http", http.Name);
                Assert.Equal("http", http.Value.GetProperty("scheme").GetString());
                Assert.Equal(8080, http.Value.GetProperty("targetPort").GetInt32());
                Assert.False(http.Value.TryGetProperty("external", out var external) && external.GetBoolean(), $"{node} is reachable from outside");
                Assert.Equal(node, env.GetProperty("DistSync__NodeId").GetString());
                Assert.Equal("{cluster-key.value}", env.GetProperty("DistSync__ClusterKey").GetString());
                Assert.Equal("{cluster-id.value}", env.GetProperty("DistSync__ClusterId").GetString());
                Assert.Equal("Auto", env.GetProperty("DistSync__ClusterState").GetString());
                Assert.Equal("{redis.connectionString}", env.GetProperty("ConnectionStrings__redis").GetString());
                Assert.Equal("/data", env.GetProperty("DistSync__DataDir").GetString());
                foreach (var role in new[] { "reader", "writer", "admin" })
                {
                    Assert.Equal($"{{{role}-token.value}}", env.GetProperty($"DistSync__Auth__Tokens__{role}__Secret").GetString());
                }

                foreach (var peer in peers)
                {
                    Assert.Equal($"{{{peer}.bindings.http.url}}", env.GetProperty($"services__{peer}__http__0").GetString());
                }
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
