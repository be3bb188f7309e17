using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

/// <summary>
/// Sessions (docs/semantics.md, Sessions): a session's holds and waits last as long as it does, and the one command that
/// ends it (expiry by the replicated clock, or close) releases every hold and withdraws every wait of it, granting the
/// waiters behind them in queue order.
/// </summary>
public class LockTableSessionTests
{
    private const string R = LockTableHarness.R;
    private const long Start = LockTableHarness.Start;

    [Fact]
    public void CreateSession_ValidTtl_IdIsItsIndex_AndItEndsAtNowPlusTtl()
    {
        var h = new LockTableHarness();
        h.Exclusive("someone");

        var created = h.CreateSession(ttlMs: 5_000);

        Assert.Equal(new LockOutcome.SessionCreated(2, 5_000, Start + 5_000, Existing: false), created);
        Assert.Equal(new LockSessionState(2, LockTableHarness.Owner, 5_000, Start + 5_000, [], []), h.Table.GetSession(2));
    }

    [Fact]
    public void AcquireIn_FreeResource_GrantsAHoldThatEndsWithTheSession()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 5_000);

        var granted = h.AcquireIn(session, "a", LockMode.Exclusive);

        Assert.Equal(new LockOutcome.Acquired(2, Start + 5_000, LockMode.Exclusive, AlreadyHeld: false), granted);
        Assert.Equal([new LockHolderState("a", LockMode.Exclusive, 2, Start + 5_000, session)], h.State().Holders);
        Assert.Equal(Start + 5_000, h.Table.NextDeadlineMs());
        Assert.Equal([new LockSessionHoldState(R, "a", LockMode.Exclusive, 2)], h.Table.GetSession(session)!.Holds);
    }

    [Fact]
    public void ExpireDue_BeforeTheSessionEnds_ChangesNothing()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 5_000);
        h.AcquireIn(session, "a", LockMode.Exclusive);
        var before = h.Table.Serialize();
        h.NowMs = Start + 4_999;

        var outcome = h.ExpireDue();

        Assert.Equal(new LockOutcome.ExpiryApplied(0, 0, 0), outcome);
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void ExpireDue_AtTheSessionsEnd_ReleasesEveryHoldAndWithdrawsEveryWait_AndGrantsTheWaitersInOrder()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 5_000);
        h.AcquireIn(session, "a", LockMode.Exclusive, resource: "r1");
        h.AcquireIn(session, "a", LockMode.Shared, resource: "r2");
        h.Exclusive("other", resource: "r3");
        h.AcquireIn(session, "a", LockMode.Exclusive, waitMs: 60_000, resource: "r3");
        h.Acquire("b", LockMode.Shared, waitMs: 60_000, resource: "r1");
        h.Acquire("c", LockMode.Shared, waitMs: 60_000, resource: "r1");
        h.Acquire("d", LockMode.Exclusive, waitMs: 60_000, resource: "r1");
        h.NowMs = Start + 5_000;

        var outcome = h.ExpireDue();

        var index = h.Index;
        Assert.Equal(new LockOutcome.ExpiryApplied(0, 0, 1), outcome with { Events = [] });
        Assert.Equal(
            [
                new LockEvent.SessionHoldReleased("r1", "a", LockMode.Exclusive, 2, session),
                new LockEvent.SessionHoldReleased("r2", "a", LockMode.Shared, 3, session),
                new LockEvent.SessionWaitEnded("r3", "a", LockMode.Exclusive, session),
                new LockEvent.Granted("r1", "b", LockMode.Shared, index, Start + 5_000 + LockLimits.DefaultTtlMs),
                new LockEvent.Granted("r1", "c", LockMode.Shared, index, Start + 5_000 + LockLimits.DefaultTtlMs),
            ],
            outcome.Events);
        Assert.Equal(["b", "c"], h.HolderIds("r1"));
        Assert.Equal(["d"], h.WaiterIds("r1"));
        Assert.Null(h.Table.GetState("r2"));
        Assert.Equal(["other"], h.HolderIds("r3"));
        Assert.Empty(h.WaiterIds("r3"));
        Assert.Null(h.Table.GetSession(session));
        Assert.Equal(0, h.Table.SessionCount);
    }

    [Fact]
    public void KeepAlive_MovesTheEndToNowPlusTtl_AndNeverBack()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 5_000);
        h.NowMs = Start + 3_000;

        var kept = h.KeepAlive(session);
        h.NowMs = Start + 1_000; // only in a log written before leader time can a later command carry an earlier time
        var notBack = h.KeepAlive(session);

        Assert.Equal(new LockOutcome.SessionKeptAlive(session, 5_000, Start + 8_000), kept);
        Assert.Equal(new LockOutcome.SessionKeptAlive(session, 5_000, Start + 8_000), notBack);
        Assert.Equal(Start + 8_000, h.Table.NextDeadlineMs());
    }

    [Fact]
    public void KeepAlive_AfterTheEndPassedButBeforeAnExpiryRemovedIt_KeepsTheSession()
    {
        // As a lease: the session ends by a committed expiry, not by a time passing; until then it is open.
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 1_000);
        h.AcquireIn(session, "a", LockMode.Exclusive);
        h.NowMs = Start + 1_500;

        var kept = h.KeepAlive(session);
        var expiry = h.ExpireDue();

        Assert.Equal(new LockOutcome.SessionKeptAlive(session, 1_000, Start + 2_500), kept);
        Assert.Equal(new LockOutcome.ExpiryApplied(0, 0, 0), expiry);
        Assert.Equal(["a"], h.HolderIds());
    }

    [Fact]
    public void CloseSession_ReleasesEveryHoldAndWithdrawsEveryWait_InTheSameCommand_AndGrantsTheNext()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession();
        h.AcquireIn(session, "a", LockMode.Exclusive);
        h.Exclusive("x", resource: "r2");
        h.AcquireIn(session, "a", LockMode.Shared, waitMs: 60_000, resource: "r2");
        h.Exclusive("b", waitMs: 60_000);

        var closed = h.CloseSession(session);

        var index = h.Index;
        Assert.Equal(new LockOutcome.SessionClosed(session, 1, 1), closed with { Events = [] });
        Assert.Equal(
            [
                new LockEvent.SessionHoldReleased(R, "a", LockMode.Exclusive, 2, session),
                new LockEvent.SessionWaitEnded("r2", "a", LockMode.Shared, session),
                new LockEvent.Granted(R, "b", LockMode.Exclusive, index, Start + LockLimits.DefaultTtlMs),
            ],
            closed.Events);
        Assert.Equal(["b"], h.HolderIds());
        Assert.Empty(h.WaiterIds("r2"));
        Assert.Equal(new LockOutcome.SessionNotFound(session), h.CloseSession(session));
    }

    [Fact]
    public void SessionCommands_AnEndedAnUnknownOrAnotherOwnersSession_AreSessionNotFound_AndChangeNothing()
    {
        var h = new LockTableHarness();
        var ended = h.OpenSession(ttlMs: 1_000);
        var others = h.OpenSession(owner: "someone-else");
        h.NowMs = Start + 1_000;
        h.ExpireDue();
        var before = h.Table.Serialize();

        Assert.Equal(new LockOutcome.SessionNotFound(ended), h.KeepAlive(ended));
        Assert.Equal(new LockOutcome.SessionNotFound(99), h.KeepAlive(99));
        Assert.Equal(new LockOutcome.SessionNotFound(others), h.KeepAlive(others));
        Assert.Equal(new LockOutcome.SessionNotFound(others), h.CloseSession(others));
        Assert.Equal(new LockOutcome.SessionNotFound(ended), h.AcquireIn(ended, "a", LockMode.Exclusive));
        Assert.Equal(new LockOutcome.SessionNotFound(others), h.AcquireIn(others, "a", LockMode.Exclusive));
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void AcquireIn_RepeatInTheSameSession_SameToken_AndALeaseHoldNamedWithASession_IsAMismatch()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 5_000);
        var other = h.OpenSession(ttlMs: 5_000);
        h.AcquireIn(session, "a", LockMode.Exclusive);
        h.Exclusive("leased", resource: "r2");

        var repeat = h.AcquireIn(session, "a", LockMode.Exclusive);
        var fromAnother = h.AcquireIn(other, "a", LockMode.Exclusive);
        var withALease = h.Exclusive("a");
        var leaseHoldInASession = h.AcquireIn(session, "leased", LockMode.Exclusive, resource: "r2");

        Assert.Equal(new LockOutcome.Acquired(3, Start + 5_000, LockMode.Exclusive, AlreadyHeld: true), repeat);
        Assert.Equal(new LockOutcome.SessionMismatch(session), fromAnother);
        Assert.Equal(new LockOutcome.SessionMismatch(session), withALease);
        Assert.Equal(new LockOutcome.SessionMismatch(null), leaseHoldInASession);
    }

    [Fact]
    public void Renew_ASessionsHold_IsSessionHold_AndChangesNothing()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession();
        h.AcquireIn(session, "a", LockMode.Exclusive);
        var before = h.Table.Serialize();

        var renewed = h.Renew("a", 60_000);

        Assert.Equal(new LockOutcome.SessionHold(session), renewed);
        Assert.Equal(before, h.Table.Serialize());
    }

    [Fact]
    public void Release_ByFencingToken_ReleasesASessionsHold_AndTheSessionStaysOpen()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession();
        var token = ((LockOutcome.Acquired)h.AcquireIn(session, "a", LockMode.Exclusive)).Token;
        h.Exclusive("b", waitMs: 60_000);

        var released = h.Apply(new LockCommand.Release(R, "a", h.NowMs) { FencingToken = token });

        Assert.Equal(new LockOutcome.Released(HoldReleased: true, WaitCancelled: false), released with { Events = [] });
        Assert.Equal(["b"], h.HolderIds());
        Assert.Empty(h.Table.GetSession(session)!.Holds);
    }

    [Fact]
    public void AcquireIn_UpgradeBehindAnotherHolder_WaitsInTheSession_AndTheSessionsEndTakesHoldAndWait()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 5_000);
        h.AcquireIn(session, "a", LockMode.Shared);
        h.Shared("b");

        var upgrade = h.AcquireIn(session, "a", LockMode.Exclusive, waitMs: 60_000);
        h.NowMs = Start + 5_000;
        var expiry = h.ExpireDue();

        Assert.IsType<LockOutcome.Waiting>(upgrade);
        Assert.Equal(
            [
                new LockEvent.SessionHoldReleased(R, "a", LockMode.Shared, 2, session),
                new LockEvent.SessionWaitEnded(R, "a", LockMode.Exclusive, session),
            ],
            expiry.Events);
        Assert.Equal(["b"], h.HolderIds());
        Assert.Empty(h.WaiterIds());
    }

    [Fact]
    public void AcquireIn_Waiting_IsGrantedInTheSession_WithTheSessionsEnd()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 5_000);
        h.Exclusive("x");
        h.AcquireIn(session, "a", LockMode.Exclusive, waitMs: 60_000);
        h.NowMs = Start + 1_000;
        h.KeepAlive(session);

        var released = h.Release("x");

        Assert.Equal([new LockEvent.Granted(R, "a", LockMode.Exclusive, h.Index, Start + 6_000)], released.Events);
        Assert.Equal([new LockHolderState("a", LockMode.Exclusive, h.Index, Start + 6_000, session)], h.State().Holders);
    }

    [Fact]
    public void AcquireIn_WaitDeadline_StillTimesTheWaitOut_AndTheSessionStays()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession(ttlMs: 60_000);
        h.Exclusive("x");
        h.AcquireIn(session, "a", LockMode.Exclusive, waitMs: 500);
        h.NowMs = Start + 500;

        var expiry = h.ExpireDue();

        Assert.Equal([new LockEvent.WaitTimedOut(R, "a", LockMode.Exclusive)], expiry.Events);
        Assert.Empty(h.Table.GetSession(session)!.Waits);
    }

    [Fact]
    public void Withdraw_AnAbandonedAcquireInASession_TakesBackItsGrant()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession();
        h.AcquireIn(session, "a", LockMode.Exclusive);
        var requestIndex = h.Index;

        var withdrawn = h.Apply(new LockCommand.Withdraw(R, "a", requestIndex, h.NowMs));

        Assert.Equal(new LockOutcome.Released(HoldReleased: true, WaitCancelled: false), withdrawn with { Events = [] });
        Assert.Empty(h.Table.GetSession(session)!.Holds);
    }

    [Fact]
    public void CreateSession_RepeatedWithItsRequestId_AnswersTheSameSession_AndKeepsItAlive()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.SessionCreated)h.CreateSession(ttlMs: 5_000, requestId: "boot-1");
        h.NowMs = Start + 2_000;

        var repeat = h.CreateSession(ttlMs: 5_000, requestId: "boot-1");
        var otherTtl = h.CreateSession(ttlMs: 6_000, requestId: "boot-1");
        var otherOwner = (LockOutcome.SessionCreated)h.CreateSession(ttlMs: 5_000, owner: "someone-else", requestId: "boot-1");

        Assert.Equal(new LockOutcome.SessionCreated(first.SessionId, 5_000, Start + 7_000, Existing: true), repeat);
        Assert.Equal(LockRequestValidator.RequestIdField, Assert.IsType<LockOutcome.Rejected>(otherTtl).Error.Field);
        Assert.NotEqual(first.SessionId, otherOwner.SessionId);
        Assert.Equal(2, h.Table.SessionCount);
    }

    [Fact]
    public void CreateSession_RepeatedAfterTheSessionEnded_OpensANewOne()
    {
        var h = new LockTableHarness();
        var first = (LockOutcome.SessionCreated)h.CreateSession(ttlMs: 1_000, requestId: "boot-1");
        h.NowMs = Start + 1_000;
        h.ExpireDue();

        var repeat = (LockOutcome.SessionCreated)h.CreateSession(ttlMs: 1_000, requestId: "boot-1");

        Assert.False(repeat.Existing);
        Assert.NotEqual(first.SessionId, repeat.SessionId);
    }

    [Fact]
    public void CreateSession_PastTheOwnersBound_IsLimitReached_AndOtherOwnersGoOn()
    {
        var h = new LockTableHarness(checkInvariants: false);
        for (var i = 0; i < LockLimits.MaxSessionsPerOwner; i++)
        {
            h.CreateSession();
        }

        var refused = h.CreateSession();
        var another = h.CreateSession(owner: "someone-else");

        Assert.Equal(new LockOutcome.LimitReached(nameof(LockLimits.MaxSessionsPerOwner)), refused);
        Assert.IsType<LockOutcome.SessionCreated>(another);
        h.Table.CheckInvariants();
    }

    [Fact]
    public void AcquireIn_PastTheSessionsBound_IsLimitReached()
    {
        var h = new LockTableHarness(checkInvariants: false);
        var session = h.OpenSession();
        for (var i = 0; i < LockLimits.MaxRequestsPerSession; i++)
        {
            h.AcquireIn(session, "a", LockMode.Shared, resource: $"r{i}");
        }

        var refused = h.AcquireIn(session, "a", LockMode.Shared, resource: "one-more");

        Assert.Equal(new LockOutcome.LimitReached(nameof(LockLimits.MaxRequestsPerSession)), refused);
        h.Table.CheckInvariants();
    }

    [Theory]
    [InlineData(0L, LockRequestValidator.SessionIdField)]
    [InlineData(-1L, LockRequestValidator.SessionIdField)]
    public void Apply_SessionCommandWithABadId_IsRejected(long sessionId, string field)
    {
        var h = new LockTableHarness();

        var outcome = h.KeepAlive(sessionId);

        Assert.Equal(field, Assert.IsType<LockOutcome.Rejected>(outcome).Error.Field);
    }

    [Fact]
    public void Apply_InvalidSessionCommands_AreRejected()
    {
        var h = new LockTableHarness();
        var session = h.OpenSession();

        Assert.IsType<LockOutcome.Rejected>(h.CreateSession(ttlMs: LockLimits.MinSessionTtlMs - 1));
        Assert.IsType<LockOutcome.Rejected>(h.CreateSession(owner: ""));
        Assert.IsType<LockOutcome.Rejected>(h.Apply(new LockCommand.Acquire(R, "a", LockMode.Exclusive, 1_000, 0, h.NowMs) { SessionId = session, Owner = LockTableHarness.Owner }));
        Assert.IsType<LockOutcome.Rejected>(h.Apply(new LockCommand.Acquire(R, "a", LockMode.Exclusive, 0, 0, h.NowMs) { SessionId = session }));
        Assert.IsType<LockOutcome.Rejected>(h.Apply(new LockCommand.Acquire(R, "a", LockMode.Exclusive, 1_000, 0, h.NowMs) { Owner = LockTableHarness.Owner }));
    }
}
