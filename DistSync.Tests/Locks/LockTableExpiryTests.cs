using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockTableExpiryTests
{
    private const string R = LockTableHarness.R;
    private const long Start = LockTableHarness.Start;

    [Fact]
    public void Apply_ExpireDueBeforeLeaseEnd_ChangesNothing()
    {
        var h = new LockTableHarness();
        h.Acquire("a", LockMode.Exclusive, ttlMs: 1_000);
        var before = h.Table.Serialize();
        h.NowMs = Start + 999;

        var outcome = h.ExpireDue();

        Assert.Equal(new LockOutcome.ExpiryApplied(0, 0), outcome);
        Assert.Empty(outcome.Events);
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void Apply_ExpireDueAtLeaseEnd_ReleasesAndPromotesWithExpiryIndexAsToken()
    {
        var h = new LockTableHarness();
        h.Acquire("a", LockMode.Exclusive, ttlMs: 1_000);
        h.Acquire("b", LockMode.Exclusive, waitMs: 60_000, ttlMs: 2_000);
        Assert.Equal(Start + 1_000, h.Table.NextDeadlineMs());
        h.NowMs = Start + 1_000;

        var outcome = h.ExpireDue();

        Assert.Equal(new LockOutcome.ExpiryApplied(1, 0), outcome with { Events = [] });
        Assert.Equal(
            [new LockEvent.LeaseExpired(R, "a", LockMode.Exclusive, 1), new LockEvent.Granted(R, "b", LockMode.Exclusive, 3, Start + 3_000)],
            outcome.Events);
        Assert.Equal([new LockHolderState("b", LockMode.Exclusive, 3, Start + 3_000)], h.State().Holders);
        Assert.Equal(3, h.State().FencingToken);
        Assert.Equal(Start + 3_000, h.Table.NextDeadlineMs());
    }

    [Fact]
    public void Apply_LeaseTimePassedWithoutExpiryCommand_StillHeldAndRenewable()
    {
        var h = new LockTableHarness();
        h.Acquire("a", LockMode.Exclusive, ttlMs: 100);
        h.NowMs = Start + 500;

        var busy = h.Exclusive("b");
        var renewed = h.Renew("a", 1_000);

        Assert.IsType<LockOutcome.Busy>(busy);
        Assert.Equal(new LockOutcome.Renewed(1, Start + 1_500), renewed);
    }

    [Fact]
    public void Apply_ExpireDueAtWaitDeadline_TimesOutWaiter()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.Exclusive("b", waitMs: 500);
        h.NowMs = Start + 500;

        var outcome = h.ExpireDue();

        Assert.Equal(new LockOutcome.ExpiryApplied(0, 1), outcome with { Events = [] });
        Assert.Equal([new LockEvent.WaitTimedOut(R, "b", LockMode.Exclusive)], outcome.Events);
        Assert.Empty(h.State().Waiters);
        Assert.Equal(0, h.Table.WaitingCount);
        Assert.Equal(Start + LockLimits.DefaultTtlMs, h.Table.NextDeadlineMs());
    }

    [Fact]
    public void Apply_TimedOutWriterAtHead_LetsReadersBehindIn()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Exclusive("w", waitMs: 100);
        h.Shared("s", waitMs: 1_000);
        h.NowMs = Start + 100;

        var outcome = h.ExpireDue();

        Assert.Equal(
            [new LockEvent.WaitTimedOut(R, "w", LockMode.Exclusive), new LockEvent.Granted(R, "s", LockMode.Shared, 4, Start + 100 + LockLimits.DefaultTtlMs)],
            outcome.Events);
        Assert.Equal(["a", "s"], h.HolderIds());
    }

    [Fact]
    public void Apply_LeaseAndWaitEndTogether_WaiterTimesOutNotGranted()
    {
        var h = new LockTableHarness();
        h.Acquire("a", LockMode.Exclusive, ttlMs: 300);
        h.Exclusive("b", waitMs: 200);
        h.NowMs = Start + 300;

        var outcome = h.ExpireDue();

        Assert.Equal(new LockOutcome.ExpiryApplied(1, 1), outcome with { Events = [] });
        Assert.Equal(
            [new LockEvent.WaitTimedOut(R, "b", LockMode.Exclusive), new LockEvent.LeaseExpired(R, "a", LockMode.Exclusive, 1)],
            outcome.Events);
        Assert.Empty(h.Table.GetState());
        Assert.Null(h.Table.NextDeadlineMs());
    }

    [Fact]
    public void Apply_ExpiryOverSeveralResources_EventsInDeadlineThenResourceOrder()
    {
        var h = new LockTableHarness();
        h.Acquire("a", LockMode.Exclusive, ttlMs: 200, resource: "zeta");
        h.Acquire("b", LockMode.Exclusive, ttlMs: 200, resource: "alpha");
        h.Acquire("c", LockMode.Shared, ttlMs: 100, resource: "mid");
        h.Acquire("d", LockMode.Shared, ttlMs: 5_000, resource: "mid");
        h.NowMs = Start + 200;

        var outcome = h.ExpireDue();

        Assert.Equal(
            [
                new LockEvent.LeaseExpired("mid", "c", LockMode.Shared, 3),
                new LockEvent.LeaseExpired("alpha", "b", LockMode.Exclusive, 2),
                new LockEvent.LeaseExpired("zeta", "a", LockMode.Exclusive, 1),
            ],
            outcome.Events);
        Assert.Equal(["mid"], h.Table.GetState().Select(s => s.Resource));
    }

    [Fact]
    public void Apply_ExpiryOfUpgradingReader_LeavesPlainExclusiveWait()
    {
        var h = new LockTableHarness();
        h.Acquire("a", LockMode.Shared, ttlMs: 100);
        h.Acquire("b", LockMode.Shared, ttlMs: 5_000);
        h.Acquire("a", LockMode.Exclusive, waitMs: 10_000);
        h.NowMs = Start + 100;

        var outcome = h.ExpireDue();

        Assert.Equal([new LockEvent.LeaseExpired(R, "a", LockMode.Shared, 1)], outcome.Events);
        Assert.Equal(["b"], h.HolderIds());
        Assert.Equal(["a"], h.WaiterIds());
        Assert.Equal(["b"], h.Table.GetWaitForGraph()["a"]);
    }
}
