using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;

namespace DistSync.Tests.Chaos;

/// <summary>The lock checker accepts what exclusive leases may do and catches what they must not.</summary>
public sealed class LockCheckerTests
{
    private const long Ms = 1000;

    private static ChaosOp Acquire(string client, long from, long to, long token, Outcome outcome = Outcome.Ok, long ttlMs = 1000) =>
        new(client, "node1", OpKinds.Acquire, "r", null, from * Ms, outcome == Outcome.Unknown ? long.MaxValue : to * Ms, outcome)
        {
            Token = outcome == Outcome.Ok ? token : null,
            TtlMs = ttlMs,
        };

    private static ChaosOp Release(string client, long from, long to, Outcome outcome = Outcome.Ok) =>
        new(client, "node1", OpKinds.Release, "r", null, from * Ms, outcome == Outcome.Unknown ? long.MaxValue : to * Ms, outcome);

    private static ChaosOp State(string client, long from, long to, string? holder) =>
        new(client, "node2", OpKinds.LockState, "", holder is null ? "" : LockStateValue.Format([new("r", holder)]), from * Ms, to * Ms, Outcome.Ok);

    /// <summary>A grant of a session hold: no lease of its own, it lasts until released or declared lost.</summary>
    private static ChaosOp SessionAcquire(string client, long from, long to, long token) =>
        Acquire(client, from, to, token) with { TtlMs = null };

    private static ChaosOp Lost(string client, long at) =>
        new(client, "node1", OpKinds.Lost, "r", null, at * Ms, at * Ms, Outcome.Unknown);

    /// <summary>A read of the one resource <c>r</c> (<c>GET /locks/resource</c>).</summary>
    private static ChaosOp Inspect(string client, long from, long to, string? holder) =>
        State(client, from, to, holder) with { Key = "r" };

    [Fact]
    public void Check_ASessionHoldDeclaredLost_EndsThere_SoALaterGrantIsClean()
    {
        ChaosOp[] history = [SessionAcquire("a", 0, 10, token: 1), Lost("a", 5000), Acquire("b", 5200, 5300, token: 2), Release("b", 5400, 5500)];

        Assert.Empty(LockChecker.Check(history));
    }

    [Fact]
    public void Check_AGrantToAnotherBeforeASessionHoldWasDeclaredLost_IsCaught()
    {
        // No lease to run out: a held the lock until its client said the hold was lost, at 5 s.
        ChaosOp[] history = [SessionAcquire("a", 0, 10, token: 1), Acquire("b", 4000, 4100, token: 2), Lost("a", 5000), Release("b", 5400, 5500)];

        var violation = Assert.Single(LockChecker.Check(history));

        Assert.Contains("a and b both held it exclusively", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_AReadOfOneResource_MaySeeALostHoldGoneAnyTimeAfter_ButNotBeforeItsRelease()
    {
        ChaosOp[] clean = [SessionAcquire("a", 0, 10, token: 1), Inspect("x", 20, 30, "a"), Lost("a", 5000), Inspect("x", 9000, 9010, null)];
        ChaosOp[] early = [SessionAcquire("a", 0, 10, token: 1), Inspect("x", 20, 30, null), Release("a", 40, 50)];

        Assert.Empty(LockChecker.Check(clean));
        Assert.Contains(LockChecker.Check(early), v => v.Message.Contains("not linearizable", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_AReadOfAnotherResource_SaysNothingOfThisOne()
    {
        var elsewhere = new ChaosOp("x", "node2", OpKinds.LockState, "other", "", 20 * Ms, 30 * Ms, Outcome.Ok);
        ChaosOp[] history = [SessionAcquire("a", 0, 10, token: 1), elsewhere, Release("a", 40, 50)];

        Assert.Empty(LockChecker.Check(history));
    }

    [Fact]
    public void Check_HoldsOneAfterAnother_WithRisingTokensAndMatchingReads_IsClean()
    {
        ChaosOp[] history =
        [
            Acquire("a", 0, 10, token: 1), State("x", 20, 30, "a"), Release("a", 40, 50),
            State("x", 60, 70, null), Acquire("b", 55, 80, token: 2), Release("b", 90, 100), State("x", 110, 120, null),
        ];

        Assert.Empty(LockChecker.Check(history));
    }

    [Fact]
    public void Check_TwoHoldersAtOnce_IsCaughtWithBothGrants()
    {
        ChaosOp[] history = [Acquire("a", 0, 10, token: 1), Acquire("b", 20, 30, token: 2), Release("a", 40, 50), Release("b", 60, 70)];

        var violation = Assert.Single(LockChecker.Check(history));

        Assert.Contains("a and b both held it exclusively", violation.Message, StringComparison.Ordinal);
        Assert.Equal(4, violation.Ops.Count);
    }

    [Fact]
    public void Check_SecondHolderAfterTheFirstLeaseCouldHaveRunOut_IsAllowed()
    {
        // a's lease (1 s from its invocation at 0) may have run out at 1000 ms; b's grant answers at 1200.
        ChaosOp[] history = [Acquire("a", 0, 10, token: 1), Acquire("b", 900, 1200, token: 2), Release("a", 1500, 1510), Release("b", 1600, 1610)];

        Assert.Empty(LockChecker.Check(history));
    }

    [Fact]
    public void Check_AnUnknownAcquire_NeverCountsAsAHold()
    {
        ChaosOp[] history = [Acquire("a", 0, 0, token: 0, Outcome.Unknown), Acquire("b", 20, 30, token: 2), Release("b", 60, 70)];

        Assert.Empty(LockChecker.Check(history));
    }

    [Fact]
    public void Check_TokenSmallerThanAnEarlierGrant_IsCaught()
    {
        ChaosOp[] history = [Acquire("a", 0, 10, token: 5), Release("a", 20, 30), Acquire("b", 40, 50, token: 3), Release("b", 60, 70)];

        var violation = Assert.Single(LockChecker.Check(history));

        Assert.Contains("token 3 after a's grant with token 5", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_OneTokenForTwoClients_IsCaught()
    {
        ChaosOp[] history = [Acquire("a", 0, 10, token: 4), Release("a", 20, 30), Acquire("b", 40, 50, token: 4), Release("b", 60, 70)];

        var violation = Assert.Single(LockChecker.Check(history));

        Assert.Contains("fencing token 4 was granted to a and b", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_StateReadMissingAHolderThatSurelyHeld_IsNotLinearizable()
    {
        // a holds from 10 until it invokes its release at 400; a read inside that span saw nobody.
        ChaosOp[] history = [Acquire("a", 0, 10, token: 1), State("x", 100, 120, null), Release("a", 400, 410)];

        var violation = Assert.Single(LockChecker.Check(history));

        Assert.Contains("lock state reads are not linearizable", violation.Message, StringComparison.Ordinal);
        Assert.Contains(violation.Ops, o => o.Kind == OpKinds.LockState);
    }

    [Fact]
    public void Check_StateReadAfterTheLeaseMayHaveRunOut_MaySeeNobody()
    {
        ChaosOp[] history = [Acquire("a", 0, 10, token: 1), State("x", 1100, 1120, null)];

        Assert.Empty(LockChecker.Check(history));
    }

    [Fact]
    public void Check_AReadLongAfterAResourceWasLastUsed_IsNotCheckedAgainstIt_UnlessItNamesIt()
    {
        // "r" was released at 50 ms; the read at 200 s is outside its span and says nobody holds it: not checked, and clean.
        ChaosOp[] quiet = [Acquire("a", 0, 10, token: 1), Release("a", 40, 50), State("x", 200_000, 200_010, null)];
        // The same read naming a holder of "r" is checked, and nothing could make "a" hold it then.
        ChaosOp[] phantom = [Acquire("a", 0, 10, token: 1), Release("a", 40, 50), State("x", 200_000, 200_010, "a")];

        Assert.Empty(LockChecker.Check(quiet));
        Assert.Contains("not linearizable", Assert.Single(LockChecker.Check(phantom)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_AReadOfNobodySoonAfterALeaseCouldEnd_PinsTheExpiry_SoALaterReadOfTheOldHolderIsCaught()
    {
        // "a" never releases: its lease may end any time after 1 s. The read at 5 s saw nobody, so it had ended by then,
        // and the read at 200 s cannot see "a" again. Without the read at 5 s, the expiry could come after 200 s.
        ChaosOp[] history = [Acquire("a", 0, 10, token: 1), State("x", 5_000, 5_010, null), State("y", 200_000, 200_010, "a")];
        ChaosOp[] withoutTheEarlyRead = [Acquire("a", 0, 10, token: 1), State("y", 200_000, 200_010, "a")];

        Assert.Contains("not linearizable", Assert.Single(LockChecker.Check(history)).Message, StringComparison.Ordinal);
        Assert.Empty(LockChecker.Check(withoutTheEarlyRead));
    }

    [Fact]
    public void Check_AReadNamingAHolderOfAResourceNobodyAcquired_IsCaught()
    {
        ChaosOp[] history =
        [
            Acquire("a", 0, 10, token: 1), Release("a", 40, 50),
            new("x", "node2", OpKinds.LockState, "", LockStateValue.Format([new("ghost", "b")]), 20 * Ms, 30 * Ms, Outcome.Ok),
        ];

        Assert.Contains("ghost", Assert.Single(LockChecker.Check(history)).Message, StringComparison.Ordinal);
    }
}
