using DistSync.Node.Cache;

namespace DistSync.Tests.Cache;

/// <summary>The home's record of holders (pure).</summary>
public sealed class CacheDirectoryTests
{
    [Fact]
    public void GrantOwner_ThenShared_TheOwnerBecomesASharer()
    {
        var entry = new DirectoryEntry("k");
        entry.GrantOwner("n1", 100);
        entry.OwnerDowngraded(stillHolds: true);
        entry.GrantShared("n2", 200);

        Assert.Null(entry.Owner);
        Assert.Equal(new Dictionary<string, long> { ["n1"] = 100, ["n2"] = 200 }, entry.Sharers);
    }

    [Fact]
    public void HoldersOtherThan_LeavesOutTheRequester()
    {
        var entry = new DirectoryEntry("k");
        entry.GrantShared("n1", 100);
        entry.GrantShared("n2", 100);

        Assert.Equal(["n2"], entry.HoldersOtherThan("n1").Select(h => h.Node));
    }

    [Fact]
    public void Prune_DropsEndedLeases()
    {
        var entry = new DirectoryEntry("k");
        entry.GrantOwner("n1", 100);
        entry.Prune(100);

        Assert.Null(entry.Owner);
        Assert.False(entry.AnyLease(0));
    }

    [Fact]
    public void Sweep_KeepsEntriesWithLiveLeasesOrInUse()
    {
        var directory = new CacheDirectory();
        directory.GetOrAdd("live").GrantShared("n1", 500);
        directory.GetOrAdd("ended").GrantShared("n1", 50);
        directory.GetOrAdd("busy");

        var removed = directory.Sweep(100, key => key == "busy");

        Assert.Equal(1, removed);
        Assert.NotNull(directory.Find("live"));
        Assert.NotNull(directory.Find("busy"));
        Assert.Null(directory.Find("ended"));
    }
}
