using DistSync.Node.Hosting;

namespace DistSync.Tests.Security;

/// <summary>The cluster id in a data folder: written once, then held against the configured one; a lost folder refused.</summary>
public sealed class ClusterIdentityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "identity-" + Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void FirstStart_OfANewCluster_WritesTheId_AndLaterStartsKeepIt()
    {
        Assert.Equal("alpha", ClusterIdentity.Establish(_dir, "node1", "alpha", ClusterState.New));
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(_dir, ClusterIdentity.FileName)));
        Assert.Equal("alpha", ClusterIdentity.Establish(_dir, "node1", "alpha", ClusterState.Existing));
        Assert.Equal("alpha", ClusterIdentity.Establish(_dir, "node1", null, ClusterState.Existing));
    }

    [Fact]
    public void AFolderOfAnotherCluster_IsRefused_NamingBothIds_AndIsLeftAsItWas()
    {
        ClusterIdentity.Establish(_dir, "node2", "alpha", ClusterState.New);

        var refused = Assert.Throws<ClusterIdentityException>(() => ClusterIdentity.Establish(_dir, "node2", "beta", ClusterState.Existing));

        Assert.Contains("belongs to cluster alpha", refused.Message, StringComparison.Ordinal);
        Assert.Contains("configured for cluster beta", refused.Message, StringComparison.Ordinal);
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(_dir, ClusterIdentity.FileName)));
    }

    [Fact]
    public void AnEmptyFolder_InAClusterThatExists_WritesNoId_UntilTheNodeIsAdmitted()
    {
        Assert.Equal("alpha", ClusterIdentity.Establish(_dir, "node3", "alpha", ClusterState.Existing));
        Assert.Equal("alpha", ClusterIdentity.Establish(_dir, "node3", "alpha", ClusterState.Auto));

        Assert.False(File.Exists(Path.Combine(_dir, ClusterIdentity.FileName)), "an id was written before the cluster admitted the node");
    }

    [Fact]
    public void TheLockFileAndTheAuditTrail_AreNotState_ButALogIs()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "LOCK"), "");
        File.WriteAllText(Path.Combine(_dir, "audit.jsonl"), "{}");
        Assert.False(ClusterIdentity.HoldsState(_dir));

        Directory.CreateDirectory(Path.Combine(_dir, "raft"));
        Assert.True(ClusterIdentity.HoldsState(_dir));
    }

    [Fact]
    public void AFolderWithALogButNoId_PredatesIds_AndAdoptsTheConfiguredOne()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "wal-00000001.log"), "entries");

        Assert.Equal("alpha", ClusterIdentity.Establish(_dir, "node1", "alpha", ClusterState.Existing));
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(_dir, ClusterIdentity.FileName)));
    }

    [Fact]
    public void WithoutAConfiguredId_NothingIsWritten_AndNoIdIsChecked()
    {
        Assert.Null(ClusterIdentity.Establish(_dir, "node1", null, ClusterState.New));
        Assert.False(Directory.Exists(_dir) && File.Exists(Path.Combine(_dir, ClusterIdentity.FileName)));
    }
}
