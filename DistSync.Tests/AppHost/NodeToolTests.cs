using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using DistSync.Hosting;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DistSync.Tests.AppHost;

/// <summary>
/// The route an AppHost outside this repository takes: the node packed as a .NET tool, installed into the AppHost's
/// tool manifest, and run by <c>AddDistSync</c> as executables (<c>dotnet tool run distsync-node</c>).
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class NodeToolTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    // A version of its own, so the install cannot take an older pack from the NuGet cache.
    private readonly string _version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));

    [Fact]
    public async Task AddDistSync_RunsThePackedNodeTool_ClusterElectsALeader_AndKillEndsANode()
    {
        var ct = TestContext.Current.CancellationToken;
        var appHost = Path.Combine(_dir, "apphost");
        Directory.CreateDirectory(appHost);
        await DotnetAsync(AppHostProcess.RepoRoot, "pack", "DistSync.Node", "--no-build", "-c", Configuration, "-o", Path.Combine(_dir, "feed"), $"-p:PackageVersion={_version}");
        await DotnetAsync(appHost, "new", "tool-manifest");
        await DotnetAsync(appHost, "tool", "install", "DistSync.Node", "--version", _version, "--add-source", Path.Combine(_dir, "feed"));

        var tokens = NodeSecurity.Roles.ToDictionary(r => r, r => r == "admin" ? DistSync.LoadTests.Cli.ApiToken.ForStartedCluster() : Guid.NewGuid().ToString("n"));
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            // Every secret given, so nothing is generated into the user secrets of the AppHost whose DCP this borrows.
            Args =
            [
                .. tokens.Select(t => $"--Parameters:{NodeSecurity.TokenParameter(t.Key)}={t.Value}"),
                $"--Parameters:cluster-key={Guid.NewGuid():n}",
                $"--Parameters:cluster-id={Guid.NewGuid():n}",
                $"--Parameters:distsync-redis-password={Guid.NewGuid():n}",
            ],
            // The assembly that names the orchestrator (DCP) this machine has.
            AssemblyName = "DistSync.AppHost",
            DisableDashboard = true,
            ProjectDirectory = appHost,
        });
        builder.AddDistSync("distsync", new DistSyncOptions { Nodes = 3, BasePort = 0, DataDir = Path.Combine(_dir, "data"), RestartOnCrash = false });
        await using var app = builder.Build();
        await app.StartAsync(ct).WaitAsync(Patience, ct);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("distsync", ct).WaitAsync(Patience, ct);

        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.All(model.Resources.Where(r => r.HasAnnotationOfType<DistSyncNodeAnnotation>()), r => Assert.IsType<ExecutableResource>(r));
        Assert.True(app.ResourceNotifications.TryGetCurrentState("node1", out var node1));
        Assert.Equal("dotnet", Path.GetFileName(node1.Snapshot.Properties.Single(p => p.Name == "executable.path").Value?.ToString()));
        var leader = Assert.Single(model.Resources.OfType<DistSyncResource>()).Nodes.Select(n => n.Name)
            .First(n => app.ResourceNotifications.TryGetCurrentState(n, out var s) && s.Snapshot.Properties.Any(p => p.Name == "raft.role" && p.Value as string == "leader"));

        var killed = await app.ResourceCommands.ExecuteCommandAsync(leader, NodeCommands.Kill, ct);
        Assert.True(killed.Success, killed.Message);
        await app.ResourceNotifications.WaitForResourceAsync(leader, e => e.Snapshot.State?.Text is "Exited" or "Finished", ct).WaitAsync(Patience, ct);
    }

    public ValueTask DisposeAsync()
    {
        var cached = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "distsync.node", _version);
        foreach (var dir in new[] { _dir, cached }.Where(Directory.Exists))
        {
            Directory.Delete(dir, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    private static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static async Task DotnetAsync(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", args) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited {process.ExitCode}: {await output} {await errors}");
    }
}
