using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DistSync.AppHost.Hosting;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.AppHost;

/// <summary>What the orchestrator does to processes: stop them all, notice a crash, restart.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ResourceLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dispose_StartedCluster_LeavesNoProcessBehind()
    {
        var cluster = await ClusterFixture.StartAsync(nodes: 1);
        var pids = cluster.App.Runners.Select(r => r.Pid!.Value).ToList();
        Assert.Equal(2, pids.Count);
        Assert.All(pids, pid => Assert.False(Process.GetProcessById(pid).HasExited));

        await cluster.DisposeAsync();

        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"process {pid} is still running"));
        Assert.False(Directory.Exists(cluster.DataDir));
    }

    [Fact]
    public async Task Stop_Node_ShutsDownCleanlyWithExitCodeZero()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 1);

        await cluster.App.StopResourceAsync("node1");

        var node = cluster.App.GetRunner("node1");
        Assert.Equal(ResourceState.Stopped, node.State);
        Assert.Equal(0, node.ExitCode);
    }

    [Theory]
    [InlineData(RedisServerKind.RedisServer)]
    [InlineData(RedisServerKind.Garnet)]
    public async Task Start_EitherRedisServer_NodeReachesIt(RedisServerKind server)
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 1, redisServer: server);
        using var http = cluster.CreateHttpClient("node1");

        var health = await HealthAsync(http);

        Assert.Equal(server, ((RedisResource)cluster.App.GetResource("redis")).Kind);
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("healthy", health.Redis);
    }

    [Fact]
    public async Task Health_RedisStopped_NodeReportsRedisUnhealthyThenRecovers()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 1);
        using var http = cluster.CreateHttpClient("node1");

        await cluster.App.StopResourceAsync("redis");
        var down = await Eventually.UntilAsync(
            async () => await HealthAsync(http) is { Status: HttpStatusCode.ServiceUnavailable } h ? h : null,
            TimeSpan.FromSeconds(15), "node1 reports Redis down");
        await cluster.App.StartResourceAsync("redis", Ct);
        var up = await Eventually.UntilAsync(
            async () => await HealthAsync(http) is { Status: HttpStatusCode.OK } h ? h : null,
            TimeSpan.FromSeconds(30), "node1 reports Redis back");

        Assert.Equal("unhealthy", down.Redis);
        Assert.Equal("healthy", up.Redis);
    }

    [Fact]
    public async Task Crash_NodeKilledFromOutside_IsReportedAndRestarted()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 1, restartOnCrash: true);
        var runner = cluster.App.GetRunner("node1");
        var firstPid = runner.Pid!.Value;
        var crashes = new List<int>();
        runner.Crashed += (_, code, _) => crashes.Add(code);

        Process.GetProcessById(firstPid).Kill();

        await Eventually.UntilAsync(() => runner.Pid != firstPid && runner.State == ResourceState.Healthy, TimeSpan.FromSeconds(30), "node1 restarted and healthy");
        Assert.Single(crashes);
        Assert.Equal(1, runner.Restarts);
        using var http = cluster.CreateHttpClient("node1");
        Assert.Equal(HttpStatusCode.OK, (await HealthAsync(http)).Status);
    }

    [Fact]
    public async Task Restart_Resource_GetsANewProcessAndBecomesHealthy()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 1);
        var runner = cluster.App.GetRunner("node1");
        var firstPid = runner.Pid!.Value;

        await cluster.App.RestartResourceAsync("node1", Ct);

        Assert.NotEqual(firstPid, runner.Pid);
        Assert.False(IsRunning(firstPid));
        Assert.Equal(ResourceState.Healthy, runner.State);
    }

    [Fact]
    public async Task AppHost_BadOption_ExitsWithOneLineError()
    {
        var (code, _, stderr) = await RunAppHostAsync(["--nodes", "4"], TimeSpan.FromSeconds(30));

        Assert.Equal(2, code);
        Assert.Equal("error: --nodes must be 1, 3, 5 or 7 (an odd number, so a majority exists), not '4'.", stderr.Trim());
    }

    [Fact]
    public async Task AppHost_PortInUse_ExitsWithOneLineErrorAndStartsNothing()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var dataDir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));

        var (code, _, stderr) = await RunAppHostAsync(["--nodes", "1", "--base-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDir, "--quiet", .. DashboardPorts()], TimeSpan.FromSeconds(30));

        Assert.Equal(1, code);
        Assert.StartsWith($"error: Port {port} (node1) is already in use", stderr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', stderr.Trim());
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task AppHost_Sigterm_StopsEveryChildProcess()
    {
        var port = PortAllocator.GetFreePort();
        var dataDir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));
        using var apphost = StartAppHost(["--nodes", "1", "--base-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDir, "--quiet", "--no-restart", .. DashboardPorts()]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await Eventually.UntilAsync(async () => (await http.GetAsync(new Uri("/health", UriKind.Relative), Ct)).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "node1 healthy under the AppHost");
            var children = ChildrenOf(apphost.Id);
            Assert.Equal(2, children.Count); // redis and node1

            Assert.Equal(0, SendSigterm(apphost.Id));
            await apphost.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(15), Ct);

            Assert.Equal(0, apphost.ExitCode);
            await Eventually.UntilAsync(() => children.All(pid => !IsRunning(pid)), TimeSpan.FromSeconds(5), "every child gone");
        }
        finally
        {
            if (!apphost.HasExited)
            {
                apphost.Kill(entireProcessTree: true);
            }

            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<Health> HealthAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), Ct);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        return new Health(response.StatusCode, body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    /// <summary>Free ports for the dashboard, so a developer's running AppHost is never in the way.</summary>
    private static string[] DashboardPorts() =>
        ["--dashboard-port", Free(), "--otlp-grpc-port", Free(), "--otlp-http-port", Free()];

    private static string Free() => PortAllocator.GetFreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Health(HttpStatusCode Status, string? Redis);

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].StartsWith('Z');
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    private static List<int> ChildrenOf(int parent) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == parent)];

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static int SendSigterm(int pid)
    {
        using var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        return kill.ExitCode;
    }

    private static Process StartAppHost(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(AppHostAssembly());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAppHostAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(AppHostAssembly());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(timeout, Ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The AppHost as built beside the node, run the way <c>dotnet run</c> runs it.</summary>
    private static string AppHostAssembly()
    {
        var nodeDll = NodeResource.LocateAssembly();
        var configuration = new DirectoryInfo(Path.GetDirectoryName(nodeDll)!).Parent!.Name;
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(nodeDll)!, "..", "..", "..", ".."));
        return Path.Combine(root, "DistSync.AppHost", "bin", configuration, "net10.0", "DistSync.AppHost.dll");
    }
}
