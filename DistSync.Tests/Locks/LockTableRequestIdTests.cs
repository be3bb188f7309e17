using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

/// <summary>
/// A retried request (same client, same request id, within the window) gets the first attempt's answer and changes
/// nothing, a refusal included (copies of one request may arrive out of order); a waiting acquire's answer is its grant,
/// or how its wait ended.
/// </summary>
public class LockTableRequestIdTests
{
    private const string R = LockTableHarness.R;

    private static LockCommand.Acquire Acquire(LockTableHarness h, string client, string requestId, long waitMs = 0) =>
        new(R, client, LockMode.Exclusive, 10_000, waitMs, h.NowMs) { RequestId = requestId };

    [Fact]
    public void Apply_RepeatedAcquire_GetsTheFirstGrant_AndDoesNotRenew()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.Acquired)h.Apply(Acquire(h, "a", "req-1"));
        h.NowMs += 4_000;

        var repeat = h.Apply(Acquire(h, "a", "req-1"));

        Assert.Equal(first, repeat);
        Assert.False(((LockOutcome.Acquired)repeat).AlreadyHeld);
        Assert.Equal(first.ExpiresAtMs, h.State().Holders[0].ExpiresAtMs); // a plain repeat would have renewed the lease
    }

    [Fact]
    public void Apply_RepeatedRelease_AfterTheClientAcquiredAgain_LeavesTheNewHold()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        var release = new LockCommand.Release(R, "a", h.NowMs) { RequestId = "rel-1" };
        var first = h.Apply(release);
        var again = (LockOutcome.Acquired)h.Exclusive("a");

        var repeat = h.Apply(release with { NowMs = h.NowMs });

        Assert.Equal(first, repeat);
        Assert.Equal(again.Token, h.State().Holders[0].Token);
    }

    [Fact]
    public void Apply_RepeatedRenew_GetsTheFirstAnswer_AndDoesNotExtendAgain()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        var renew = new LockCommand.Renew(R, "a", 5_000, h.NowMs) { RequestId = "ren-1" };
        var first = (LockOutcome.Renewed)h.Apply(renew);
        h.NowMs += 1_000;

        Assert.Equal(first, h.Apply(renew with { NowMs = h.NowMs }));
        Assert.Equal(first.ExpiresAtMs, h.State().Holders[0].ExpiresAtMs);
    }

    [Fact]
    public void Apply_LateCopyOfARefusedAcquire_IsRefusedAgain_AndGrantsNothingOnceTheLockIsFree()
    {
        // The client's retry was answered busy; the first copy, forwarded slowly, is applied after the holder left.
        var h = new LockTableHarness();
        h.Exclusive("b");
        Assert.IsType<LockOutcome.Busy>(h.Apply(Acquire(h, "a", "req-2")));
        h.Release("b");

        Assert.Equal(new LockOutcome.RefusedBefore("busy"), h.Apply(Acquire(h, "a", "req-2")));
        Assert.Null(h.Table.GetState(R)); // nobody holds or waits: the resource is gone
        Assert.IsType<LockOutcome.Acquired>(h.Apply(Acquire(h, "a", "req-2b"))); // a new request is asked afresh
    }

    [Fact]
    public void Apply_LateCopyOfARefusedRelease_DoesNotFreeTheHoldTakenSince()
    {
        var h = new LockTableHarness();
        Assert.IsType<LockOutcome.NotHeld>(h.Apply(new LockCommand.Release(R, "a", h.NowMs) { RequestId = "rel-9" }));
        h.Exclusive("a");

        Assert.Equal(new LockOutcome.RefusedBefore("not_held"), h.Apply(new LockCommand.Release(R, "a", h.NowMs) { RequestId = "rel-9" }));
        Assert.Equal(["a"], h.HolderIds());
    }

    [Fact]
    public void Apply_RepeatOfAWaitThatWasGranted_GetsTheGrant()
    {
        var h = new LockTableHarness();
        h.Exclusive("b");
        Assert.IsType<LockOutcome.Waiting>(h.Apply(Acquire(h, "a", "req-3", waitMs: 9_000)));
        Assert.IsType<LockOutcome.Waiting>(h.Apply(Acquire(h, "a", "req-3", waitMs: 9_000))); // still waiting: its place
        var granted = Assert.Single(h.Release("b").Events.OfType<LockEvent.Granted>());

        var repeat = (LockOutcome.Acquired)h.Apply(Acquire(h, "a", "req-3", waitMs: 9_000));

        Assert.Equal(granted.Token, repeat.Token);
        Assert.False(repeat.AlreadyHeld);
    }

    [Fact]
    public void Apply_RepeatOfAWaitThatTimedOut_IsAnsweredTimeout_AndJoinsNoQueue()
    {
        var h = new LockTableHarness();
        h.Exclusive("b");
        h.Apply(Acquire(h, "a", "req-4", waitMs: 100));
        h.NowMs += 200;
        h.ExpireDue();

        Assert.Equal(new LockOutcome.RefusedBefore("timeout"), h.Apply(Acquire(h, "a", "req-4", waitMs: 100)));
        Assert.Empty(h.WaiterIds());
        h.Release("b");
        Assert.Equal(new LockOutcome.RefusedBefore("timeout"), h.Apply(Acquire(h, "a", "req-4", waitMs: 100)));
        Assert.Null(h.Table.GetState(R)); // nobody holds or waits: the resource is gone
    }

    [Fact]
    public void Apply_RepeatOfAWaitCancelledByTheClientsRelease_IsAnsweredCancelled()
    {
        var h = new LockTableHarness();
        h.Exclusive("b");
        h.Apply(Acquire(h, "a", "req-10", waitMs: 9_000));
        h.Release("a");
        h.Release("b");

        Assert.Equal(new LockOutcome.RefusedBefore("cancelled"), h.Apply(Acquire(h, "a", "req-10", waitMs: 9_000)));
        Assert.Null(h.Table.GetState(R)); // nobody holds or waits: the resource is gone
    }

    [Fact]
    public void Apply_SameIdForAnotherRequest_IsRejectedNamingRequestId()
    {
        var h = new LockTableHarness();
        h.Apply(Acquire(h, "a", "req-5"));

        var other = h.Apply(new LockCommand.Release(R, "a", h.NowMs) { RequestId = "req-5" });

        Assert.Equal(LockRequestValidator.RequestIdField, Assert.IsType<LockOutcome.Rejected>(other).Error.Field);
        Assert.Equal(["a"], h.HolderIds());
    }

    [Fact]
    public void Apply_AfterTheWindow_TheIdIsForgotten()
    {
        var h = new LockTableHarness();
        var release = new LockCommand.Release(R, "a", h.NowMs) { RequestId = "rel-2" };
        h.Exclusive("a");
        h.Apply(release);
        h.Exclusive("a");
        h.NowMs += LockLimits.RequestIdWindowMs;

        Assert.Equal(new LockOutcome.Released(HoldReleased: true, WaitCancelled: false), h.Apply(release with { NowMs = h.NowMs }) with { Events = [] });
        Assert.Equal(1, h.Table.RememberedRequests); // the old answer forgotten, this one remembered anew
    }

    [Fact]
    public void Apply_WithdrawAfterARepeatClaimedTheGrant_DoesNothing()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.Acquired)h.Apply(Acquire(h, "a", "req-7")); // its caller timed out before the answer
        var firstIndex = h.Index;
        Assert.Equal(first, h.Apply(Acquire(h, "a", "req-7"))); // the repeat is told it holds the lock

        var withdraw = h.Apply(new LockCommand.Withdraw(R, "a", firstIndex, h.NowMs) { RequestId = "req-7" });

        Assert.IsType<LockOutcome.NotHeld>(withdraw);
        Assert.Equal(["a"], h.HolderIds());
    }

    [Fact]
    public void Apply_WithdrawBeforeTheRepeat_TakesTheGrantBack_AndTheRepeatIsANewAttempt()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.Acquired)h.Apply(Acquire(h, "a", "req-8"));
        h.Apply(new LockCommand.Withdraw(R, "a", h.Index, h.NowMs) { RequestId = "req-8" });
        h.Exclusive("b");

        Assert.IsType<LockOutcome.Busy>(h.Apply(Acquire(h, "a", "req-8"))); // never told of the grant taken back
        Assert.Equal(["b"], h.HolderIds());
        Assert.True(first.Token < h.State().FencingToken);
    }

    [Fact]
    public void Apply_WithdrawOfAWaitWhoseRepeatJoinedIt_DoesNothing()
    {
        var h = new LockTableHarness();
        h.Exclusive("b");
        h.Apply(Acquire(h, "a", "req-9", waitMs: 9_000));
        var waitIndex = h.Index;
        Assert.IsType<LockOutcome.Waiting>(h.Apply(Acquire(h, "a", "req-9", waitMs: 9_000)));

        Assert.IsType<LockOutcome.NotHeld>(h.Apply(new LockCommand.Withdraw(R, "a", waitIndex, h.NowMs) { RequestId = "req-9" }));
        Assert.Equal(["a"], h.WaiterIds());
    }

    [Fact]
    public void Restore_RememberedRequests_AnswerTheSameAfterASnapshot()
    {
        var h = new LockTableHarness();
        h.Exclusive("b");
        var first = h.Apply(Acquire(h, "a", "req-6", waitMs: 9_000));
        h.Apply(new LockCommand.Renew(R, "b", 20_000, h.NowMs) { RequestId = "ren-2" });
        Assert.IsType<LockOutcome.Busy>(h.Apply(Acquire(h, "c", "req-11")));

        var restored = LockTable.Restore(h.Table.Serialize());

        Assert.Equal(h.Table.Serialize(), restored.Serialize());
        Assert.Equal(3, restored.RememberedRequests);
        var index = h.Index + 1;
        var renew = new LockCommand.Renew(R, "b", 20_000, h.NowMs) { RequestId = "ren-2" };
        Assert.Equal(h.Table.Apply(renew, index), restored.Apply(renew, index));
        Assert.IsType<LockOutcome.Waiting>(first);
        var release = new LockCommand.Release(R, "b", h.NowMs);
        Assert.Equal(h.Table.Apply(release, index + 1), restored.Apply(release, index + 1));
        var late = Acquire(h, "c", "req-11");
        Assert.Equal(new LockOutcome.RefusedBefore("busy"), restored.Apply(late, index + 2));
        Assert.Equal(h.Table.Apply(late, index + 2), new LockOutcome.RefusedBefore("busy"));
        Assert.Equal(h.Table.Serialize(), restored.Serialize());
    }
}
