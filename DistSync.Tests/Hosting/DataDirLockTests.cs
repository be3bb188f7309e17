using System.Diagnostics;
using DistSync.Node.Hosting;

namespace DistSync.Tests.Hosting;

/// <summary>
/// One process per data folder: the node holds <c>{dataDir}/LOCK</c> as an OS lock (flock), which another process sees
/// and which the kernel drops when its holder dies. The other process is util-linux's <c>flock</c>, taking a shared lock:
/// only an exclusive lock conflicts with it both ways.
/// </summary>
public sealed class DataDirLockTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "lock-" + Guid.NewGuid().ToString("n"));

    private string LockFile => Path.Combine(_dir, DataDirLock.FileName);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Open_FolderHeldInThisProcess_IsRefusedNamingTheFolder_AndFreeOnceReleased()
    {
        var first = DataDirLock.Open(_dir, "node1");

        var refused = Assert.Throws<ClusterIdentityException>(() => DataDirLock.Open(_dir, "node1"));

        Assert.Contains($"node1's data folder {_dir} is in use by another process", refused.Message, StringComparison.Ordinal);
        Assert.Contains("DistSync__DataDir", refused.Message, StringComparison.Ordinal);
        first.Dispose();
        DataDirLock.Open(_dir, "node1").Dispose();
    }

    [Fact]
    public async Task Open_WhileAnotherProcessHoldsTheFolder_IsRefused_AndFreeOnceThatProcessIsKilled()
    {
        Directory.CreateDirectory(_dir);
        // One process holds it from start to end: the shell opens the file, flock(1) locks that open file, the shell becomes cat.
        using var holder = Process.Start(new ProcessStartInfo("sh", ["-c", "exec 9>>\"$0\" && flock --shared 9 && echo held && exec cat", LockFile])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("held", await holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken));

            Assert.Throws<ClusterIdentityException>(() => DataDirLock.Open(_dir, "node2"));
        }
        finally
        {
            // SIGKILL, as a crash: no unlock, the kernel releases the lock with the process.
            holder.Kill();
            await holder.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Patience, TestContext.Current.CancellationToken);
        }

        DataDirLock.Open(_dir, "node2").Dispose();
    }

    [Fact]
    public async Task Held_IsAnExclusiveOsLock_ThatAnotherProcessCannotShare()
    {
        using (DataDirLock.Open(_dir, "node3"))
        {
            Assert.Equal(1, await TryFlockAsync());
        }

        Assert.Equal(0, await TryFlockAsync());
    }

    /// <summary>0 when <c>flock</c> took a shared lock at once, 1 when another process held it exclusively.</summary>
    private async Task<int> TryFlockAsync()
    {
        using var probe = Process.Start("flock", ["--nonblock", "--shared", LockFile, "true"]);
        await probe.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Patience, TestContext.Current.CancellationToken);
        return probe.ExitCode;
    }
}
