using System.Globalization;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Scenario;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.LoadTests;

/// <summary>
/// <c>scenario --nodes 1</c>, which builds the AppHost, starts a cluster of its own through it and stops it. A class
/// of its own: the build and the second cluster load the machine, and no other cluster should run beside them.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ScenarioNodesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "scenario-nodes-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public async Task Nodes1_StartsItsOwnClusterThroughTheAppHost_RunsTheMix_AndStopsIt()
    {
        var options = CommandLine.Parse(["--nodes", "1", "--users", "4", "--spawn-rate", "50", "--wait", "20-80ms", "--seconds", "4", "--report", _dir]);

        var code = await ScenarioCommand.RunAsync(options, "scenario --nodes 1 (test)", TestContext.Current.CancellationToken);

        Assert.Equal(0, code);
        var report = ReportJson.Read(Path.Combine(_dir, "nodes-1"));
        Assert.Equal(ScenarioCommandTests.Requests.Order(), report.Endpoints.Select(e => e.Name).Order());
        var node = report.Settings["nodes"];
        Assert.StartsWith("node1=http://127.0.0.1:", node, StringComparison.Ordinal);
        var port = int.Parse(node[(node.LastIndexOf(':') + 1)..].TrimEnd('/'), CultureInfo.InvariantCulture);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{port}/alive"), TestContext.Current.CancellationToken)); // stopped
        // Nothing the AppHost started is left: no process still carries its --base-port.
        var left = Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Select(d => (Pid: Path.GetFileName(d), Cmdline: ReadOrEmpty(Path.Combine(d, "cmdline")).Replace('\0', ' ')))
            .Where(p => p.Cmdline.Contains($"--base-port {port}", StringComparison.Ordinal) && AppHostProcess.IsAlive(int.Parse(p.Pid, CultureInfo.InvariantCulture)))
            .ToList();
        Assert.True(left.Count == 0, $"left running: {string.Join("; ", left.Select(p => $"{p.Pid} {p.Cmdline}"))}");
        Assert.Contains("Distributed application started", await File.ReadAllTextAsync(Path.Combine(_dir, "nodes-1", "apphost.log"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
