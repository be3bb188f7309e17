using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

/// <summary>
/// A hold's identity is its fencing token: a release or renew naming an earlier hold is refused and changes nothing, and
/// a withdrawn request (its caller went away) takes back only what that request got.
/// </summary>
public class LockTableHoldIdentityTests
{
    private const string R = LockTableHarness.R;

    [Fact]
    public void Apply_ReleaseNamingAnEarlierHold_IsStaleAndTheNewHoldStays()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.Acquired)h.Exclusive("a");
        h.Release("a");
        var second = (LockOutcome.Acquired)h.Exclusive("a");

        // The first hold's release, delayed in the network, arrives after the client acquired again.
        var late = h.Apply(new LockCommand.Release(R, "a", h.NowMs) { FencingToken = first.Token });

        Assert.Equal(new LockOutcome.StaleToken(second.Token), late);
        Assert.Equal(["a"], h.HolderIds());
        Assert.Equal(second.Token, h.State().Holders[0].Token);
        Assert.IsType<LockOutcome.Busy>(h.Exclusive("b"));
    }

    [Fact]
    public void Apply_ReleaseNamingTheCurrentHold_ReleasesItAndLetsTheNextIn()
    {
        var h = new LockTableHarness();
        var held = (LockOutcome.Acquired)h.Exclusive("a");
        h.Exclusive("b", waitMs: 9_000);

        var outcome = h.Apply(new LockCommand.Release(R, "a", h.NowMs) { FencingToken = held.Token });

        Assert.Equal(new LockOutcome.Released(HoldReleased: true, WaitCancelled: false), outcome with { Events = [] });
        Assert.Equal(["b"], h.HolderIds());
    }

    [Fact]
    public void Apply_ReleaseWithTokenWhileUpgrading_LeavesTheWait()
    {
        var h = new LockTableHarness();
        var shared = (LockOutcome.Acquired)h.Shared("a");
        h.Shared("b");
        h.Exclusive("a", waitMs: 9_000); // a waits to upgrade

        var outcome = h.Apply(new LockCommand.Release(R, "a", h.NowMs) { FencingToken = shared.Token });

        Assert.Equal(new LockOutcome.Released(HoldReleased: true, WaitCancelled: false), outcome with { Events = [] });
        Assert.Equal(["b"], h.HolderIds());
        Assert.Equal(["a"], h.WaiterIds());
    }

    [Fact]
    public void Apply_ReleaseWithTokenOfAHoldThatEnded_IsNotHeldAndCancelsNoWait()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.Acquired)h.Exclusive("a");
        h.Release("a");
        h.Exclusive("b");
        h.Exclusive("a", waitMs: 9_000);

        Assert.IsType<LockOutcome.NotHeld>(h.Apply(new LockCommand.Release(R, "a", h.NowMs) { FencingToken = first.Token }));
        Assert.Equal(["a"], h.WaiterIds());
    }

    [Fact]
    public void Apply_RenewNamingAnEarlierHold_IsStaleAndTheLeaseIsUnchanged()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.Acquired)h.Exclusive("a");
        h.Release("a");
        var second = (LockOutcome.Acquired)h.Acquire("a", LockMode.Exclusive, ttlMs: 1_000);
        h.NowMs += 500;

        var outcome = h.Apply(new LockCommand.Renew(R, "a", 60_000, h.NowMs) { FencingToken = first.Token });

        Assert.Equal(new LockOutcome.StaleToken(second.Token), outcome);
        Assert.Equal(second.ExpiresAtMs, h.State().Holders[0].ExpiresAtMs);
        Assert.Equal(new LockOutcome.Renewed(second.Token, h.NowMs + 2_000),
            h.Apply(new LockCommand.Renew(R, "a", 2_000, h.NowMs) { FencingToken = second.Token }));
    }

    [Fact]
    public void Apply_WithdrawOfAQueuedRequest_RemovesTheWaitOnly()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.Exclusive("b", waitMs: 9_000);
        var waitIndex = h.Index;
        h.Exclusive("c", waitMs: 9_000);

        var outcome = h.Apply(new LockCommand.Withdraw(R, "b", waitIndex, h.NowMs));

        Assert.Equal(new LockOutcome.Released(HoldReleased: false, WaitCancelled: true), outcome with { Events = [] });
        Assert.Equal([new LockEvent.WaitCancelled(R, "b", LockMode.Exclusive)], outcome.Events);
        Assert.Equal(["a"], h.HolderIds());
        Assert.Equal(["c"], h.WaiterIds());
    }

    [Fact]
    public void Apply_WithdrawAfterTheWaitWasGranted_ReleasesThatGrantAndLetsTheNextIn()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.Exclusive("b", waitMs: 9_000);
        var waitIndex = h.Index;
        h.Exclusive("c", waitMs: 9_000);
        var granted = h.Release("a");
        Assert.Equal("b", Assert.Single(granted.Events).ClientId);

        // b's caller hung up before the grant reached it: nobody must be left holding a lock nobody knows of.
        var outcome = h.Apply(new LockCommand.Withdraw(R, "b", waitIndex, h.NowMs));

        Assert.Equal(new LockOutcome.Released(HoldReleased: true, WaitCancelled: false), outcome with { Events = [] });
        Assert.Equal(["c"], h.HolderIds());
    }

    [Fact]
    public void Apply_WithdrawOfARepeatAcquire_LeavesTheHoldItRenewed()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        var repeat = (LockOutcome.Acquired)h.Exclusive("a");
        Assert.True(repeat.AlreadyHeld);

        Assert.IsType<LockOutcome.NotHeld>(h.Apply(new LockCommand.Withdraw(R, "a", h.Index, h.NowMs)));
        Assert.Equal(["a"], h.HolderIds());
    }

    [Fact]
    public void Apply_WithdrawOfAnOlderRequest_LeavesTheClientsNewerWait()
    {
        var h = new LockTableHarness();
        h.Exclusive("a");
        h.Exclusive("b", waitMs: 9_000);
        var oldWait = h.Index;
        h.Release("b"); // the old wait ends
        h.Exclusive("b", waitMs: 9_000); // and a new request queues

        Assert.IsType<LockOutcome.NotHeld>(h.Apply(new LockCommand.Withdraw(R, "b", oldWait, h.NowMs)));
        Assert.Equal(["b"], h.WaiterIds());
    }
}
