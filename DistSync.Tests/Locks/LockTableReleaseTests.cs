using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockTableReleaseTests
{
    private const string R = LockTableHarness.R;
    private const long Ttl = LockLimits.DefaultTtlMs;

    [Fact]
    public void Apply_ReleaseExclusive_GrantsHeadAndFollowingReadersTogether()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.Shared("b", waitMs: 9_000);
        h.Shared("c", waitMs: 9_000);
        h.Exclusive("d", waitMs: 9_000);
        h.Shared("e", waitMs: 9_000);
        h.NowMs += 20;

        var outcome = h.Release("a");

        Assert.Equal(new LockOutcome.Released(true, false), outcome with { Events = [] });
        var expires = LockTableHarness.Start + 20 + Ttl;
        Assert.Equal(
            [new LockEvent.Granted(R, "b", LockMode.Shared, 6, expires), new LockEvent.Granted(R, "c", LockMode.Shared, 6, expires)],
            outcome.Events);
        Assert.Equal(["b", "c"], h.HolderIds());
        Assert.Equal(["d", "e"], h.WaiterIds());
        Assert.Equal(6, h.State().FencingToken);
    }

    [Fact]
    public void Apply_ReleaseWithWriterAtHead_GrantsOnlyTheWriter()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Exclusive("w", waitMs: 9_000);
        h.Shared("s", waitMs: 9_000);

        var outcome = h.Release("a");

        Assert.Equal([new LockEvent.Granted(R, "w", LockMode.Exclusive, 4, LockTableHarness.Start + Ttl)], outcome.Events);
        Assert.Equal(["w"], h.HolderIds());
        Assert.Equal(["s"], h.WaiterIds());
    }

    [Fact]
    public void Apply_ReleaseOfOneReader_GrantsNothingWhileAnotherReads()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Shared("b");
        h.Exclusive("w", waitMs: 9_000);

        var outcome = h.Release("a");

        Assert.Empty(outcome.Events);
        Assert.Equal(["b"], h.HolderIds());
        Assert.Equal(["w"], h.WaiterIds());
    }

    [Fact]
    public void Apply_ReleaseLastHolder_DropsResource()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");

        h.Release("a");

        Assert.Null(h.Table.GetState(R));
        Assert.Empty(h.Table.GetState());
        Assert.Null(h.Table.NextDeadlineMs());
    }

    [Fact]
    public void Apply_ReleaseNotHeld_NotHeldAndNoChange()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        var before = h.Table.Serialize();

        Assert.Equal(new LockOutcome.NotHeld(), h.Release("b"));
        Assert.Equal(new LockOutcome.NotHeld(), h.Release("a", resource: "elsewhere"));
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void Apply_ReleaseByWaiter_CancelsWaitAndPromotesThoseBehind()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Exclusive("w", waitMs: 9_000);
        h.Shared("s", waitMs: 9_000);

        var outcome = h.Release("w");

        Assert.Equal(new LockOutcome.Released(HoldReleased: false, WaitCancelled: true), outcome with { Events = [] });
        Assert.Equal(
            [new LockEvent.WaitCancelled(R, "w", LockMode.Exclusive), new LockEvent.Granted(R, "s", LockMode.Shared, 4, LockTableHarness.Start + Ttl)],
            outcome.Events);
        Assert.Equal(["a", "s"], h.HolderIds());
        Assert.Empty(h.State().Waiters);
    }

    [Fact]
    public void Apply_ReleaseByUpgradingReader_DropsHoldAndWait()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Shared("b");
        h.Exclusive("a", waitMs: 9_000);

        var outcome = h.Release("a");

        Assert.Equal(new LockOutcome.Released(true, true), outcome with { Events = [] });
        Assert.Equal([new LockEvent.WaitCancelled(R, "a", LockMode.Exclusive)], outcome.Events);
        Assert.Equal(["b"], h.HolderIds());
        Assert.Empty(h.State().Waiters);
        Assert.Equal(0, h.Table.WaitingCount);
    }

    [Fact]
    public void Apply_Renew_MovesLeaseKeepsToken()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.NowMs += 1_000;

        var outcome = h.Renew("a", 5_000);

        Assert.Equal(new LockOutcome.Renewed(1, LockTableHarness.Start + 6_000), outcome);
        Assert.Equal(LockTableHarness.Start + 6_000, h.Table.NextDeadlineMs());
        Assert.Equal(1, h.State().FencingToken);
    }

    [Fact]
    public void Apply_RenewNotHeld_NotHeld()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.Exclusive("w", waitMs: 1_000);

        Assert.Equal(new LockOutcome.NotHeld(), h.Renew("w", 5_000));
        Assert.Equal(new LockOutcome.NotHeld(), h.Renew("a", 5_000, resource: "other"));
    }
}
