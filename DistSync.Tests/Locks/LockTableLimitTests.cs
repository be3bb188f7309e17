using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockTableLimitTests
{
    [Fact]
    public void Apply_ResourceFullOfReaders_NextRequestLimitReached()
    {
        var h = new LockTableHarness(checkInvariants: false);
        for (var i = 0; i < LockLimits.MaxClientsPerResource; i++)
        {
            Assert.IsType<LockOutcome.Acquired>(h.Shared($"c{i}"));
        }

        var outcome = h.Shared("one-more");

        Assert.Equal(new LockOutcome.LimitReached(nameof(LockLimits.MaxClientsPerResource)), outcome);
        Assert.Equal(LockLimits.MaxClientsPerResource, h.State().Holders.Count);
        h.Table.CheckInvariants();
    }

    [Fact]
    public void Apply_QueueFull_NextWaiterLimitReached()
    {
        var h = new LockTableHarness(checkInvariants: false);
        h.Exclusive("holder");
        for (var i = 1; i < LockLimits.MaxClientsPerResource; i++)
        {
            Assert.IsType<LockOutcome.Waiting>(h.Shared($"w{i}", waitMs: 60_000));
        }

        var outcome = h.Shared("one-more", waitMs: 60_000);

        Assert.Equal(new LockOutcome.LimitReached(nameof(LockLimits.MaxClientsPerResource)), outcome);
        Assert.Equal(LockLimits.MaxClientsPerResource - 1, h.State().Waiters.Count);
        Assert.Equal(LockLimits.MaxClientsPerResource - 1, h.Table.WaitingCount);
    }

    [Fact]
    public void Apply_LongQueueOfWriters_EachWaitChecksCycleAlongTheChainAndLastIsRefused()
    {
        // Every writer waits for the one ahead; the cycle search walks that chain once per request, not quadratically.
        var h = new LockTableHarness(checkInvariants: false);
        h.Exclusive("holder");
        for (var i = 1; i < LockLimits.MaxClientsPerResource; i++)
        {
            Assert.Equal(new LockOutcome.Waiting(i, LockTableHarness.Start + 60_000), h.Exclusive($"w{i}", waitMs: 60_000));
        }

        var outcome = h.Exclusive("one-more", waitMs: 60_000);

        Assert.Equal(new LockOutcome.LimitReached(nameof(LockLimits.MaxClientsPerResource)), outcome);
        h.Table.CheckInvariants();
        var released = h.Release("holder");
        Assert.Equal([new LockEvent.Granted(LockTableHarness.R, "w1", LockMode.Exclusive, h.Index, LockTableHarness.Start + LockLimits.DefaultTtlMs)], released.Events);
    }

    [Fact]
    public void Apply_TableFull_NewResourceLimitReachedButHeldOnesStillServed()
    {
        var h = new LockTableHarness(checkInvariants: false);
        for (var i = 0; i < LockLimits.MaxResources; i++)
        {
            h.Exclusive("a", resource: $"r{i}");
        }

        var refused = h.Exclusive("a", resource: "brand-new");
        var repeat = h.Exclusive("a", resource: "r7");

        Assert.Equal(new LockOutcome.LimitReached(nameof(LockLimits.MaxResources)), refused);
        Assert.Equal(new LockOutcome.Acquired(8, LockTableHarness.Start + LockLimits.DefaultTtlMs, LockMode.Exclusive, AlreadyHeld: true), repeat);
        Assert.Equal(LockLimits.MaxResources, h.Table.ResourceCount);
    }
}
