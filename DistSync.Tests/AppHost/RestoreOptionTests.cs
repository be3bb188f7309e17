using Aspire.Hosting;
using DistSync.Hosting;
using Microsoft.Extensions.Configuration;

namespace DistSync.Tests.AppHost;

/// <summary><c>--restore FILE</c>: read as an absolute path, and refused over a data folder that holds a cluster unless <c>--clean</c> empties it.</summary>
public sealed class RestoreOptionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", $"restore-option-{Guid.NewGuid():n}");
    private readonly string _file;

    public RestoreOptionTests()
    {
        Directory.CreateDirectory(_dir);
        _file = Path.Combine(_dir, "backup.snapshot");
        File.WriteAllText(_file, "a backup");
    }

    [Fact]
    public void Read_RestoreShortForm_IsTheFilesAbsolutePath()
    {
        var options = DistSyncOptions.Read(new ConfigurationBuilder().AddCommandLine(DistSyncArguments.Expand(["--restore", "backups/b.snapshot"])).Build());

        Assert.Equal(Path.GetFullPath("backups/b.snapshot"), options.Restore);
        Assert.Null(DistSyncOptions.Read(new ConfigurationBuilder().Build()).Restore);
    }

    [Fact]
    public void AddDistSync_RestoreOverAFolderThatHoldsACluster_IsRefused()
    {
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "node2", "raft"));

        var error = Assert.Throws<DistSyncConfigurationException>(() => Builder(data, "--restore", _file).AddDistSync("distsync"));

        Assert.Contains($"the data folder {data} already holds a cluster", error.Message, StringComparison.Ordinal);
        Assert.Contains("--clean", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(data, "node2", "raft")));
    }

    [Fact]
    public void AddDistSync_RestoreWithClean_EmptiesTheFolderFirst()
    {
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "node1", "raft"));

        Builder(data, "--restore", _file, "--clean").AddDistSync("distsync");

        Assert.False(Directory.Exists(Path.Combine(data, "node1")));
    }

    [Fact]
    public void AddDistSync_RestoreOverAFolderWithOnlyLocksAndAudit_IsAccepted()
    {
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "node1"));
        File.WriteAllText(Path.Combine(data, "node1", "LOCK"), "");
        File.WriteAllText(Path.Combine(data, "node1", "audit.jsonl"), "");

        Builder(data, "--restore", _file).AddDistSync("distsync");

        Assert.True(File.Exists(Path.Combine(data, "node1", "audit.jsonl")));
    }

    [Fact]
    public void AddDistSync_RestoreOfAMissingFile_IsRefused()
    {
        var missing = Path.Combine(_dir, "missing.snapshot");

        var error = Assert.Throws<DistSyncConfigurationException>(() => Builder(Path.Combine(_dir, "data"), "--restore", missing).AddDistSync("distsync"));

        Assert.Equal($"--restore {missing}: no such file.", error.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IDistributedApplicationBuilder Builder(string data, params string[] args) => DistributedApplication.CreateBuilder(new DistributedApplicationOptions
    {
        DisableDashboard = true,
        Args = DistSyncArguments.Expand([$"--data-dir={data}", "--base-port=0", .. args]),
    });
}
