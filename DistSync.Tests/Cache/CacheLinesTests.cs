using DistSync.Node.Cache;

namespace DistSync.Tests.Cache;

/// <summary>The node side of MESI, one transition at a time (pure: time is an argument).</summary>
public sealed class CacheLinesTests
{
    private const long Lease = 1000;

    [Fact]
    public void Lookup_Nothing_IsAMiss() => Assert.Null(new CacheLines(10, 1 << 20).Lookup("k", 0));

    [Theory]
    [InlineData(LineState.E)]
    [InlineData(LineState.S)]
    [InlineData(LineState.M)]
    public void Install_Grant_IsServedUntilItsLeaseEnds(LineState state)
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", state, "\"v\"", 3, 7, 0, Lease);

        var line = lines.Lookup("k", Lease - 1);
        Assert.NotNull(line);
        Assert.Equal((state, "\"v\"", 3L, 7L), (line.State, line.Value, line.Version, line.Fence));
        Assert.Null(lines.Lookup("k", Lease));
        Assert.Null(lines.Find("k")); // a clean line whose lease ended is gone
    }

    [Theory]
    [InlineData(LineState.E)]
    [InlineData(LineState.M)]
    public void WriteLocal_ExclusiveHolder_BecomesMWithTheNextVersion(LineState state)
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", state, "1", 4, 9, 0, Lease);

        var line = lines.WriteLocal("k", "2", 5, 0, dirty: false, 10);

        Assert.Equal((LineState.M, "2", 5L, 9L, false), (line.State, line.Value, line.Version, line.Fence, line.Dirty));
    }

    [Fact]
    public void WriteLocal_Shared_IsRefused()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.S, "1", 4, 0, 0, Lease);

        Assert.Throws<InvalidOperationException>(() => lines.WriteLocal("k", "2", 5, 0, dirty: false, 10));
    }

    [Fact]
    public void WriteLocal_AfterTheLease_IsRefused()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.E, "1", 4, 0, 0, Lease);

        Assert.Throws<InvalidOperationException>(() => lines.WriteLocal("k", "2", 5, 0, dirty: false, Lease));
    }

    [Fact]
    public void Invalidate_DropsTheLine()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.S, "1", 4, 0, 0, Lease);

        var revoked = lines.Revoke("k", RevokeKind.Invalidate);

        Assert.Equal((LineState.S, 4L, false), (revoked.Before, revoked.Version, revoked.Kept));
        Assert.Null(lines.Find("k"));
    }

    [Theory]
    [InlineData(LineState.E)]
    [InlineData(LineState.M)]
    public void Downgrade_ExclusiveLine_BecomesShared(LineState state)
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", state, "1", 4, 0, 0, Lease);

        var revoked = lines.Revoke("k", RevokeKind.Downgrade);

        Assert.True(revoked.Kept);
        Assert.Equal(LineState.S, lines.Lookup("k", 10)!.State);
    }

    [Fact]
    public void Downgrade_DirtyLine_HandsBackTheValueToWriteBack_AndKeepsItClean()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.E, "1", 4, 2, 0, Lease);
        lines.WriteLocal("k", "2", 5, 0, dirty: true, 10);

        var revoked = lines.Revoke("k", RevokeKind.Downgrade);

        Assert.Equal(new LineSnapshot("k", LineState.M, "2", 5, 2, 0, true), revoked.WriteBack);
        Assert.False(lines.Find("k")!.Dirty);
    }

    [Fact]
    public void Revoke_WhileARequestIsOut_DropsTheLine_AndItsGrantIsNotInstalled()
    {
        // The home granted this node's request, then invalidated (or downgraded) it for another node before the grant arrived.
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.S, "old", 1, 0, 0, Lease);
        var ticket = lines.BeginRequest("k");

        var revoked = lines.Revoke("k", RevokeKind.Downgrade);

        Assert.False(revoked.Kept);
        Assert.Null(lines.Find("k"));
        Assert.False(lines.EndRequest("k", ticket));
    }

    [Fact]
    public void EndRequest_NoRevoke_MayInstall()
    {
        var lines = new CacheLines(10, 1 << 20);
        var ticket = lines.BeginRequest("k");

        Assert.True(lines.EndRequest("k", ticket));
    }

    [Fact]
    public void Lookup_DirtyLineAfterItsLease_IsNotServedButKept()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.E, "1", 1, 0, 0, Lease);
        lines.WriteLocal("k", "2", 2, 0, dirty: true, 10);

        Assert.Null(lines.Lookup("k", Lease + 1));
        Assert.True(lines.Find("k")!.Dirty);
        Assert.Single(lines.DirtyLines(long.MaxValue));
    }

    [Fact]
    public void MarkClean_OnlyTheVersionWrittenBack()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.E, "1", 1, 0, 0, Lease);
        lines.WriteLocal("k", "2", 2, 0, dirty: true, 10);
        lines.WriteLocal("k", "3", 3, 0, dirty: true, 20);

        lines.MarkClean("k", 2);
        Assert.True(lines.Find("k")!.Dirty);
        lines.MarkClean("k", 3);
        Assert.False(lines.Find("k")!.Dirty);
    }

    [Fact]
    public void Install_PastTheEntryBound_EvictsTheLeastRecentlyUsed_DirtyOneHandedBack()
    {
        var lines = new CacheLines(2, 1 << 20);
        lines.Install("a", LineState.E, "1", 1, 5, 0, Lease);
        lines.WriteLocal("a", "2", 2, 0, dirty: true, 1);
        lines.Install("b", LineState.S, "1", 1, 0, 0, Lease);
        lines.Lookup("b", 2);

        var evicted = lines.Install("c", LineState.S, "1", 1, 0, 0, Lease);

        Assert.Equal([new LineSnapshot("a", LineState.M, "2", 2, 5, 0, true)], evicted);
        Assert.Equal(2, lines.Count);
        Assert.NotNull(lines.Find("b"));
    }

    [Fact]
    public void Install_PastTheByteBound_EvictsUntilItFits()
    {
        var lines = new CacheLines(100, 2000);
        lines.Install("a", LineState.S, new string('x', 800), 1, 0, 0, Lease);
        lines.Install("b", LineState.S, new string('x', 800), 1, 0, 0, Lease);

        var evicted = lines.Install("c", LineState.S, new string('x', 800), 1, 0, 0, Lease);

        Assert.Equal("a", Assert.Single(evicted).Key);
        Assert.True(lines.Bytes <= 2000, $"{lines.Bytes} bytes");
    }

    [Fact]
    public void ValueAt_PastItsTtl_IsNone()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("k", LineState.S, "1", 1, 0, expiresAtUnixMs: 5000, Lease);

        Assert.Equal("1", lines.Find("k")!.ValueAt(4999));
        Assert.Null(lines.Find("k")!.ValueAt(5000));
    }

    [Fact]
    public void CountByState_ExpiredLinesCountAsInvalid()
    {
        var lines = new CacheLines(10, 1 << 20);
        lines.Install("a", LineState.S, "1", 1, 0, 0, Lease);
        lines.Install("b", LineState.E, "1", 1, 0, 0, 2 * Lease);

        var counts = lines.CountByState(Lease);

        Assert.Equal((1, 1, 0), (counts[LineState.I], counts[LineState.E], counts[LineState.S]));
    }
}
