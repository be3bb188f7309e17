using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockTableDeadlockTests
{
    [Fact]
    public void Apply_TwoClientsCrossWaiting_SecondRefusedWithCycle()
    {
        var h = new LockTableHarness();
        h.Exclusive("a", resource: "r1");
        h.Exclusive("b", resource: "r2");
        Assert.IsType<LockOutcome.Waiting>(h.Exclusive("a", waitMs: 1_000, resource: "r2"));
        var before = h.Table.Serialize();

        var outcome = h.Exclusive("b", waitMs: 1_000, resource: "r1");

        Assert.Equal(["b", "a", "b"], Assert.IsType<LockOutcome.Deadlock>(outcome).Cycle);
        Assert.Equal(before, h.Table.Serialize());
        Assert.Empty(h.Table.GetState("r1")!.Waiters);
    }

    [Fact]
    public void Apply_ThreeClientRing_RefusedWithWholeCycleInOrder()
    {
        var h = new LockTableHarness();
        h.Exclusive("a", resource: "r1");
        h.Exclusive("b", resource: "r2");
        h.Exclusive("c", resource: "r3");
        h.Exclusive("a", waitMs: 1_000, resource: "r2");
        h.Exclusive("b", waitMs: 1_000, resource: "r3");
        var before = h.Table.Serialize();

        var outcome = h.Exclusive("c", waitMs: 1_000, resource: "r1");

        Assert.Equal(["c", "a", "b", "c"], Assert.IsType<LockOutcome.Deadlock>(outcome).Cycle);
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void Apply_FourClientRingWithSharedHolds_RefusedWithCycle()
    {
        var h = new LockTableHarness();
        h.Shared("a", resource: "r1");
        h.Shared("b", resource: "r2");
        h.Shared("c", resource: "r3");
        h.Shared("d", resource: "r4");
        h.Exclusive("a", waitMs: 1_000, resource: "r2");
        h.Exclusive("b", waitMs: 1_000, resource: "r3");
        h.Exclusive("c", waitMs: 1_000, resource: "r4");

        var outcome = h.Exclusive("d", waitMs: 1_000, resource: "r1");

        Assert.Equal(["d", "a", "b", "c", "d"], Assert.IsType<LockOutcome.Deadlock>(outcome).Cycle);
    }

    [Fact]
    public void Apply_CycleThroughWaiterAhead_Refused()
    {
        // c's shared request fits a's shared hold, but it queues behind the writer b, who waits for a, who waits for c.
        var h = new LockTableHarness();
        h.Shared("a", resource: "r1");
        h.Exclusive("c", resource: "r2");
        h.Exclusive("b", waitMs: 1_000, resource: "r1");
        h.Exclusive("a", waitMs: 1_000, resource: "r2");

        var outcome = h.Shared("c", waitMs: 1_000, resource: "r1");

        Assert.Equal(["c", "b", "a", "c"], Assert.IsType<LockOutcome.Deadlock>(outcome).Cycle);
    }

    [Fact]
    public void Apply_UpgradeBehindQueuedWriter_RefusedAsDeadlock()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Shared("b");
        h.Exclusive("w", waitMs: 1_000);

        var outcome = h.Exclusive("a", waitMs: 1_000);

        Assert.Equal(["a", "w", "a"], Assert.IsType<LockOutcome.Deadlock>(outcome).Cycle);
        Assert.Equal(["w"], h.WaiterIds());
    }

    [Fact]
    public void Apply_ChainWithoutCycle_Waits()
    {
        var h = new LockTableHarness();
        h.Exclusive("a", resource: "r1");
        h.Exclusive("b", resource: "r2");
        h.Exclusive("b", waitMs: 1_000, resource: "r1");

        var outcome = h.Exclusive("c", waitMs: 1_000, resource: "r2");

        Assert.Equal(new LockOutcome.Waiting(1, LockTableHarness.Start + 1_000), outcome);
        var graph = h.Table.GetWaitForGraph();
        Assert.Equal(["b", "c"], graph.Keys);
        Assert.Equal(["a"], graph["b"]);
        Assert.Equal(["b"], graph["c"]);
    }

    [Fact]
    public void Apply_WouldDeadlockButNoWait_Busy()
    {
        var h = new LockTableHarness();
        h.Exclusive("a", resource: "r1");
        h.Exclusive("b", resource: "r2");
        h.Exclusive("a", waitMs: 1_000, resource: "r2");

        var outcome = Assert.IsType<LockOutcome.Busy>(h.Exclusive("b", resource: "r1"));

        Assert.Equal(["a"], outcome.Holders);
    }

    [Fact]
    public void Apply_AfterCycleBroken_SameRequestWaits()
    {
        var h = new LockTableHarness();
        h.Exclusive("a", resource: "r1");
        h.Exclusive("b", resource: "r2");
        h.Exclusive("a", waitMs: 1_000, resource: "r2");
        Assert.IsType<LockOutcome.Deadlock>(h.Exclusive("b", waitMs: 1_000, resource: "r1"));
        h.Release("a", resource: "r2");

        var outcome = h.Exclusive("b", waitMs: 1_000, resource: "r1");

        Assert.Equal(new LockOutcome.Waiting(1, LockTableHarness.Start + 1_000), outcome);
    }

    [Fact]
    public void GetWaitForGraph_MixedQueue_WaitersPointAtConflictingHoldersAndWaitersAhead()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.Shared("b", waitMs: 1_000);
        h.Exclusive("c", waitMs: 1_000);
        h.Shared("d", waitMs: 1_000);
        h.Shared("e", waitMs: 1_000);
        h.Exclusive("x", resource: "other");
        h.Exclusive("f", waitMs: 1_000, resource: "other");

        var graph = h.Table.GetWaitForGraph();

        Assert.Equal(["b", "c", "d", "e", "f"], graph.Keys);
        Assert.Equal(["a"], graph["b"]);
        Assert.Equal(["a", "b"], graph["c"]);
        Assert.Equal(["a", "c"], graph["d"]);
        Assert.Equal(["a", "c"], graph["e"]);
        Assert.Equal(["x"], graph["f"]);
    }
}
