using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Versus;

namespace DistSync.Tests.LoadTests;

/// <summary>How <c>vs</c> starts, watches and stops a peer's servers, with small stand-ins (sleep, false) for them.</summary>
public sealed class PeerGroupTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "peers-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public void Require_MissingProgram_NamesTheDebianPackageToInstall()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => PeerBinaries.Require("no-such-server-xyz", "no-such-package"));

        Assert.Contains("apt-get install -y no-such-package", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_AServerExits_TheErrorNamesItsLog()
    {
        var log = Path.Combine(_dir, "logs", "false.log");
        await using var group = await PeerGroup.StartAsync("test", [new PeerGroup.Member("test f1", "/bin/false", [], log)]);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            PeerReadiness.WaitAsync("test", group, _ => Task.FromResult(false), TestContext.Current.CancellationToken));

        Assert.Equal($"test f1 exited while starting; its output is in {log}.", ex.Message);
    }

    [Fact]
    public async Task DisposeAsync_RunningServers_AllStopped()
    {
        var group = await PeerGroup.StartAsync("test", [.. Enumerable.Range(1, 2).Select(i =>
            new PeerGroup.Member($"test s{i}", "/bin/sleep", ["60"], Path.Combine(_dir, "logs", $"sleep-{i}.log")))]);
        Assert.All(group.Ids, id => Assert.True(LinuxProcesses.IsAlive(id)));

        await group.DisposeAsync();

        Assert.All(group.Ids, id => Assert.False(LinuxProcesses.IsAlive(id)));
        Assert.Contains(group.Ids[1], PeerGroup.StartedIds);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
