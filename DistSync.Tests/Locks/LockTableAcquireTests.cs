using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockTableAcquireTests
{
    private const long Ttl = LockLimits.DefaultTtlMs;

    [Fact]
    public void Apply_AcquireFreeResource_GrantsWithCommandIndexAsToken()
    {
        var h = new LockTableHarness();

        var outcome = h.Exclusive("a");

        Assert.Equal(new LockOutcome.Acquired(1, LockTableHarness.Start + Ttl, LockMode.Exclusive, AlreadyHeld: false), outcome);
        Assert.Empty(outcome.Events);
        var state = h.State();
        Assert.Equal(LockMode.Exclusive, state.Mode);
        Assert.Equal(1, state.FencingToken);
        Assert.Equal([new LockHolderState("a", LockMode.Exclusive, 1, LockTableHarness.Start + Ttl)], state.Holders);
        Assert.Empty(state.Waiters);
    }

    [Fact]
    public void Apply_SharedWhileShared_BothHoldWithOwnTokens()
    {
        var h = new LockTableHarness();
        h.Shared("b");

        var outcome = h.Shared("a");

        Assert.Equal(new LockOutcome.Acquired(2, LockTableHarness.Start + Ttl, LockMode.Shared, false), outcome);
        var state = h.State();
        Assert.Equal(LockMode.Shared, state.Mode);
        Assert.Equal(2, state.FencingToken);
        Assert.Equal(
            [new LockHolderState("a", LockMode.Shared, 2, LockTableHarness.Start + Ttl), new LockHolderState("b", LockMode.Shared, 1, LockTableHarness.Start + Ttl)],
            state.Holders);
    }

    [Fact]
    public void Apply_ExclusiveWhileShared_BusyNamingHolders()
    {
        var h = new LockTableHarness();
        h.Shared("b");
        h.Shared("a");

        var outcome = Assert.IsType<LockOutcome.Busy>(h.Exclusive("c"));

        Assert.Equal(["a", "b"], outcome.Holders);
        Assert.Equal(0, outcome.Queued);
        Assert.Equal(["a", "b"], h.HolderIds());
    }

    [Fact]
    public void Apply_SharedWhileExclusive_Busy()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");

        var outcome = Assert.IsType<LockOutcome.Busy>(h.Shared("b"));

        Assert.Equal(["a"], outcome.Holders);
    }

    [Fact]
    public void Apply_ExclusiveWhileExclusiveWithWait_QueuesWithDeadline()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");

        var outcome = h.Exclusive("b", waitMs: 5_000);

        Assert.Equal(new LockOutcome.Waiting(1, LockTableHarness.Start + 5_000), outcome);
        Assert.Equal([new LockWaiterState("b", LockMode.Exclusive, LockTableHarness.Start + 5_000, Ttl)], h.State().Waiters);
        Assert.Equal(LockTableHarness.Start + 5_000, h.Table.NextDeadlineMs());
    }

    [Fact]
    public void Apply_SharedBehindWaitingExclusive_WaitsInsteadOfJoiningReaders()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Exclusive("w", waitMs: 1_000);

        var busy = Assert.IsType<LockOutcome.Busy>(h.Shared("c"));
        var waiting = h.Shared("c", waitMs: 1_000);

        Assert.Equal(["a"], busy.Holders);
        Assert.Equal(1, busy.Queued);
        Assert.Equal(new LockOutcome.Waiting(2, LockTableHarness.Start + 1_000), waiting);
        Assert.Equal(["a"], h.HolderIds());
        Assert.Equal(["w", "c"], h.WaiterIds());
    }

    [Fact]
    public void Apply_RepeatAcquireSameMode_SameTokenLeaseRenewed()
    {
        var h = new LockTableHarness();
        h.Acquire("a", LockMode.Exclusive, ttlMs: 1_000);
        h.Exclusive("x", waitMs: 10_000);
        h.NowMs += 700;

        var outcome = h.Acquire("a", LockMode.Exclusive, ttlMs: 2_000);

        Assert.Equal(new LockOutcome.Acquired(1, LockTableHarness.Start + 2_700, LockMode.Exclusive, AlreadyHeld: true), outcome);
        Assert.Equal([new LockHolderState("a", LockMode.Exclusive, 1, LockTableHarness.Start + 2_700)], h.State().Holders);
        Assert.Equal(1, h.State().FencingToken);
        Assert.Equal(LockTableHarness.Start + 2_700, h.Table.NextDeadlineMs());
    }

    [Fact]
    public void Apply_SharedAskedByExclusiveHolder_SatisfiedAsExclusive()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.NowMs += 10;

        var outcome = h.Shared("a");

        Assert.Equal(new LockOutcome.Acquired(1, LockTableHarness.Start + 10 + Ttl, LockMode.Exclusive, AlreadyHeld: true), outcome);
        Assert.Equal(LockMode.Exclusive, h.State().Mode);
    }

    [Fact]
    public void Apply_UpgradeBySoleSharedHolder_GrantedAtOnceWithNewToken()
    {
        var h = new LockTableHarness();
        h.Shared("a");

        var outcome = h.Exclusive("a");

        Assert.Equal(new LockOutcome.Acquired(2, LockTableHarness.Start + Ttl, LockMode.Exclusive, AlreadyHeld: false), outcome);
        Assert.Equal([new LockHolderState("a", LockMode.Exclusive, 2, LockTableHarness.Start + Ttl)], h.State().Holders);
        Assert.Equal(2, h.State().FencingToken);
    }

    [Fact]
    public void Apply_UpgradeBySoleHolderWithWriterQueued_GrantedAndWriterStillWaits()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Exclusive("w", waitMs: 1_000);

        var outcome = h.Exclusive("a");

        Assert.Equal(new LockOutcome.Acquired(3, LockTableHarness.Start + Ttl, LockMode.Exclusive, false), outcome);
        Assert.Equal(["w"], h.WaiterIds());
        Assert.Equal(["a"], h.Table.GetWaitForGraph()["w"]);
    }

    [Fact]
    public void Apply_UpgradeWhileOthersHoldShared_WaitsKeepingSharedHold()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Shared("b");

        var outcome = h.Exclusive("a", waitMs: 1_000);

        Assert.Equal(new LockOutcome.Waiting(1, LockTableHarness.Start + 1_000), outcome);
        Assert.Equal(
            [new LockHolderState("a", LockMode.Shared, 1, LockTableHarness.Start + Ttl), new LockHolderState("b", LockMode.Shared, 2, LockTableHarness.Start + Ttl)],
            h.State().Holders);
        Assert.Equal(["b"], h.Table.GetWaitForGraph()["a"]);
    }

    [Fact]
    public void Apply_ReleaseOfLastOtherReader_GrantsPendingUpgrade()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Shared("b");
        h.Exclusive("a", waitMs: 1_000);
        h.NowMs += 50;

        var outcome = h.Release("b");

        Assert.Equal(new LockOutcome.Released(HoldReleased: true, WaitCancelled: false), outcome with { Events = [] });
        Assert.Equal([new LockEvent.Granted(LockTableHarness.R, "a", LockMode.Exclusive, 4, LockTableHarness.Start + 50 + Ttl)], outcome.Events);
        Assert.Equal([new LockHolderState("a", LockMode.Exclusive, 4, LockTableHarness.Start + 50 + Ttl)], h.State().Holders);
        Assert.Empty(h.State().Waiters);
    }

    [Fact]
    public void Apply_UpgradeWithoutWaitWhileOthersHold_Busy()
    {
        var h = new LockTableHarness();
        h.Shared("a");
        h.Shared("b");

        var outcome = Assert.IsType<LockOutcome.Busy>(h.Exclusive("a"));

        Assert.Equal(["a", "b"], outcome.Holders);
        Assert.Empty(h.State().Waiters);
    }

    [Fact]
    public void Apply_AcquireWhileWaitingElsewhere_RefusedAlreadyWaiting()
    {
        var h = new LockTableHarness();
        h.Exclusive("x", resource: "r1");
        h.Exclusive("a", waitMs: 1_000, resource: "r1");
        var before = h.Table.Serialize();

        var outcome = h.Exclusive("a", resource: "r2");

        Assert.Equal(new LockOutcome.AlreadyWaiting("r1"), outcome);
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void Apply_RepeatOfPendingRequest_AnswersPositionAndOriginalDeadline()
    {
        var h = new LockTableHarness();
        h.Exclusive("x");
        h.Exclusive("a", waitMs: 1_000);
        h.Exclusive("b", waitMs: 1_000);
        h.NowMs += 300;

        var repeat = h.Exclusive("b", waitMs: 1_000);
        var otherMode = h.Shared("b", waitMs: 1_000);

        Assert.Equal(new LockOutcome.Waiting(2, LockTableHarness.Start + 1_000), repeat);
        Assert.Equal(new LockOutcome.AlreadyWaiting(LockTableHarness.R), otherMode);
        Assert.Equal(["a", "b"], h.WaiterIds());
    }

    [Fact]
    public void Apply_IndexNotIncreasing_Throws()
    {
        var table = new LockTable();
        table.Apply(new LockCommand.ExpireDue(0), 5);

        Assert.Throws<InvalidOperationException>(() => table.Apply(new LockCommand.ExpireDue(0), 5));
        Assert.Throws<InvalidOperationException>(() => table.Apply(new LockCommand.ExpireDue(0), 4));
    }

    [Fact]
    public void Apply_InvalidCommand_RejectedWithoutChange()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        var before = h.Table.Serialize();

        var badTtl = h.Apply(new LockCommand.Acquire("r", "b", LockMode.Exclusive, 0, 0, 5));
        var badMode = h.Apply(new LockCommand.Acquire("r", "b", (LockMode)7, 1_000, 0, 5));
        var badNow = h.Apply(new LockCommand.Release(LockTableHarness.R, "a", -1));

        Assert.Equal(LockRequestValidator.TtlMsField, Assert.IsType<LockOutcome.Rejected>(badTtl).Error.Field);
        Assert.Equal(LockRequestValidator.ModeField, Assert.IsType<LockOutcome.Rejected>(badMode).Error.Field);
        Assert.Equal(LockRequestValidator.NowMsField, Assert.IsType<LockOutcome.Rejected>(badNow).Error.Field);
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void Apply_TokensAcrossGrants_StrictlyIncreasePerResource()
    {
        var h = new LockTableHarness();
        var tokens = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            h.Apply(new LockCommand.ExpireDue(h.NowMs)); // unrelated entries leave gaps in the indices
            tokens.Add(Assert.IsType<LockOutcome.Acquired>(h.Exclusive("a")).Token);
            h.Release("a");
        }

        Assert.Equal([2, 5, 8, 11, 14], tokens);
    }
}
