using DistSync.Hosting;
using Microsoft.Extensions.Configuration;

namespace DistSync.Tests.AppHost;

/// <summary>The AppHost's settings: short options, defaults, and refusals that say what to do.</summary>
public sealed class DistSyncOptionsTests
{
    private static DistSyncOptions Read(params string[] args) =>
        DistSyncOptions.Read(new ConfigurationBuilder().AddCommandLine(DistSyncArguments.Expand(args)).Build());

    [Fact]
    public void Read_NoArguments_GivesDotnetRunDefaults()
    {
        var options = Read();

        Assert.Equal(3, options.Nodes);
        Assert.Equal(8001, options.BasePort);
        Assert.Equal(RedisKind.Auto, options.Redis);
        Assert.True(options.RestartOnCrash);
        Assert.True(options.Dashboard);
        Assert.False(options.Clean);
        Assert.Equal(Path.Combine("/repo/DistSync.AppHost", ".data"), options.ResolveDataDir("/repo/DistSync.AppHost"));
    }

    [Fact]
    public void Read_ShortForms_SetTheSameSettingsAsTheLongOnes()
    {
        var options = Read("--nodes", "5", "--base-port=9001", "--redis", "garnet", "--redis-port", "6400", "--data-dir", "/tmp/d", "--log-dir", "/tmp/logs", "--clean", "--no-restart", "--no-dashboard");

        Assert.Equal(options, Read("--DistSync:Nodes=5", "--DistSync:BasePort=9001", "--DistSync:Redis=garnet", "--DistSync:RedisPort=6400",
            "--DistSync:DataDir=/tmp/d", "--DistSync:LogDir=/tmp/logs", "--DistSync:Clean=true", "--DistSync:RestartOnCrash=false", "--DistSync:Dashboard=false") with { NodeEnvironment = options.NodeEnvironment, NodeEnvironmentOf = options.NodeEnvironmentOf, PeerLinks = options.PeerLinks });
        Assert.Equal(5, options.Nodes);
        Assert.Equal(RedisKind.Garnet, options.Redis);
        Assert.Equal("/tmp/d", options.ResolveDataDir("/elsewhere"));
        Assert.Equal("/tmp/logs", options.LogDir);
        Assert.False(options.RestartOnCrash);
    }

    [Fact]
    public void Read_RedisCluster_IsTheClusterKind()
    {
        Assert.Equal(RedisKind.Cluster, Read("--redis", "cluster").Redis);
    }

    [Fact]
    public void Expand_AspireOwnArguments_PassThroughUnchanged()
    {
        string[] args = ["--publisher", "manifest", "--output-path", "aspire-manifest.json"];

        Assert.Equal(args, DistSyncArguments.Expand(args));
    }

    [Fact]
    public void Read_NodeEnvironment_IsHandedToEveryNode()
    {
        var options = Read("--DistSync:NodeEnvironment:DistSync__Raft__SnapshotEvery=50");

        Assert.Equal("50", options.NodeEnvironment["DistSync__Raft__SnapshotEvery"]);
    }

    [Fact]
    public void Read_PeerLinks_AreKeyedFromThenTo()
    {
        var options = Read("--DistSync:PeerLinks:node1:node2=http://127.0.0.1:9102", "--DistSync:PeerLinks:node2:node1=http://127.0.0.1:9201");

        Assert.Equal(new Uri("http://127.0.0.1:9102"), options.PeerLinks["node1"]["node2"]);
        Assert.Equal(new Uri("http://127.0.0.1:9201"), options.PeerLinks["node2"]["node1"]);
        Assert.False(options.PeerLinks.ContainsKey("node3"));
    }

    [Theory]
    [InlineData(new[] { "--DistSync:PeerLinks:node1:node4=http://127.0.0.1:9" }, "DistSync:PeerLinks names node4, which is not one of this cluster's nodes (node1..node3).")]
    [InlineData(new[] { "--DistSync:PeerLinks:node9:node1=http://127.0.0.1:9" }, "DistSync:PeerLinks names node9, which is not one of this cluster's nodes (node1..node3).")]
    [InlineData(new[] { "--DistSync:PeerLinks:node1:node1=http://127.0.0.1:9" }, "DistSync:PeerLinks:node1:node1: a node does not link to itself.")]
    [InlineData(new[] { "--DistSync:PeerLinks:node1:node2=127.0.0.1:9" }, "DistSync:PeerLinks:node1:node2 must be an http:// address, not '127.0.0.1:9'.")]
    public void Read_BadPeerLink_IsRefused(string[] args, string message)
    {
        var error = Assert.Throws<DistSyncConfigurationException>(() => Read(args));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData(new[] { "--nodes", "4" }, "DistSync:Nodes must be 1, 3, 5 or 7 (an odd number, so a majority exists), not 4.")]
    [InlineData(new[] { "--nodes", "three" }, "DistSync:Nodes must be a whole number, not 'three'.")]
    [InlineData(new[] { "--base-port", "65535", "--nodes", "3" }, "DistSync:BasePort 65535 leaves no room for 3 nodes and 2 spare nodes below port 65536 (0 picks free ports).")]
    [InlineData(new[] { "--redis", "memcached" }, "DistSync:Redis must be auto, redis-server, garnet, cluster, container or external, not 'memcached'.")]
    [InlineData(new[] { "--DistSync:RestartOnCrash=maybe" }, "DistSync:RestartOnCrash must be true or false, not 'maybe'.")]
    public void Read_BadValue_IsRefusedWithWhatToDo(string[] args, string message)
    {
        var error = Assert.Throws<DistSyncConfigurationException>(() => Read(args));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Expand_ValuedOptionWithoutValue_IsRefused()
    {
        var error = Assert.Throws<DistSyncConfigurationException>(() => DistSyncArguments.Expand(["--nodes"]));

        Assert.Equal("Option --nodes needs a value (see --help).", error.Message);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(40, 30)]
    public void Backoff_DoublesFromOneSecond_UpToThirty(int crashes, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), CrashRestarter.Backoff(crashes));

    [Theory]
    [InlineData("Running", "Finished", -1, true)]   // SIGKILL (the Kill command, an OOM kill)
    [InlineData("Running", "Exited", 134, true)]    // a crash
    [InlineData("Running", "Finished", 0, false)]   // Aspire's Stop: a clean exit
    [InlineData("Stopping", "Finished", -1, false)] // stopped on purpose, killed after the grace period
    [InlineData("Starting", "FailedToStart", null, false)]
    [InlineData("Finished", "Finished", -1, false)] // the same end seen twice
    public void IsCrash_OnlyARunningNodeEndingWithAnError(string previous, string state, int? exitCode, bool crash) =>
        Assert.Equal(crash, CrashRestarter.IsCrash(previous, state, exitCode));
}
