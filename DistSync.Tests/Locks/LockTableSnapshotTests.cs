using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockTableSnapshotTests
{
    private static LockTableHarness Busy()
    {
        var h = new LockTableHarness();
        h.Exclusive("a", resource: "r1");
        h.Shared("b", resource: "r2");
        h.Shared("c", resource: "r2");
        h.Exclusive("b", waitMs: 2_000, resource: "r2"); // pending upgrade
        h.Shared("d", waitMs: 3_000, resource: "r1");
        h.Exclusive("e", waitMs: 4_000, resource: "r1");
        h.Acquire("f", LockMode.Shared, ttlMs: 500, resource: "ё-unicode");
        return h;
    }

    [Fact]
    public void Restore_SerializedTable_SameBytesAndState()
    {
        var h = Busy();
        var bytes = h.Table.Serialize();

        var restored = LockTable.Restore(bytes);

        Assert.Equal(bytes, restored.Serialize());
        Assert.Equal(h.Table.GetState().Select(s => s.Resource), restored.GetState().Select(s => s.Resource));
        foreach (var state in h.Table.GetState())
        {
            var copy = restored.GetState(state.Resource)!;
            Assert.Equal(state.Holders, copy.Holders);
            Assert.Equal(state.Waiters, copy.Waiters);
            Assert.Equal(state.Mode, copy.Mode);
            Assert.Equal(state.FencingToken, copy.FencingToken);
        }

        Assert.Equal(h.Table.GetWaitForGraph(), restored.GetWaitForGraph());
        Assert.Equal(h.Table.NextDeadlineMs(), restored.NextDeadlineMs());
        Assert.Equal(h.Table.WaitingCount, restored.WaitingCount);
    }

    [Fact]
    public void Restore_ThenSameCommands_SameOutcomesAndBytes()
    {
        var h = Busy();
        var restored = LockTable.Restore(h.Table.Serialize());
        LockCommand[] next =
        [
            new LockCommand.Release("r1", "a", LockTableHarness.Start + 10),
            new LockCommand.ExpireDue(LockTableHarness.Start + 2_000),
            new LockCommand.Acquire("r1", "c", LockMode.Exclusive, 100, 1_000, LockTableHarness.Start + 2_001),
        ];

        for (var i = 0; i < next.Length; i++)
        {
            var index = h.Index + 1 + i;
            Assert.Equal(h.Table.Apply(next[i], index), restored.Apply(next[i], index));
            Assert.Equal(h.Table.Serialize(), restored.Serialize());
        }
    }

    [Fact]
    public void Restore_EmptyTable_RoundTrips()
    {
        var bytes = new LockTable().Serialize();

        Assert.Equal("DSLK\u0002\0\0"u8.ToArray(), bytes);
        Assert.Empty(LockTable.Restore(bytes).GetState());
    }

    [Fact]
    public void Apply_AfterRestore_IndexAtOrBelowTokensThrows()
    {
        var h = Busy();
        var restored = LockTable.Restore(h.Table.Serialize());

        Assert.Throws<InvalidOperationException>(() => restored.Apply(new LockCommand.ExpireDue(0), 2));
    }

    [Fact]
    public void Restore_EveryTruncationAndTrailingByte_Throws()
    {
        var bytes = Busy().Table.Serialize();

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => LockTable.Restore(bytes.AsSpan(0, length)));
        }

        Assert.Throws<FormatException>(() => LockTable.Restore([.. bytes, 0]));
    }

    [Fact]
    public void Restore_WrongMagicOrVersion_Throws()
    {
        Assert.Contains("not a lock table", Assert.Throws<FormatException>(() => LockTable.Restore("XSLK\u0001\0"u8)).Message, StringComparison.Ordinal);
        Assert.Contains("version", Assert.Throws<FormatException>(() => LockTable.Restore("DSLK\u0004\0"u8)).Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Inconsistent => new()
    {
        // name, message fragment
        { "two exclusive holders", "exclusive holder among others" },
        { "resources out of order", "out of order" },
        { "holder token above fencing token", "token" },
        { "no holder", "no holder" },
        { "grantable head", "grantable" },
        { "client waits twice", "waits twice" },
        { "wait-for cycle", "cycle" },
    };

    [Theory]
    [MemberData(nameof(Inconsistent))]
    public void Restore_InconsistentImage_Throws(string name, string fragment)
    {
        var bytes = name switch
        {
            "two exclusive holders" => Image(("r", 5, [("a", LockMode.Exclusive, 5), ("b", LockMode.Exclusive, 4)], [])),
            "resources out of order" => Image(("z", 5, [("a", LockMode.Exclusive, 5)], []), ("a", 6, [("a", LockMode.Exclusive, 6)], [])),
            "holder token above fencing token" => Image(("r", 5, [("a", LockMode.Exclusive, 6)], [])),
            "no holder" => Image(("r", 5, [], [("a", LockMode.Exclusive)])),
            "grantable head" => Image(("r", 5, [("a", LockMode.Shared, 5)], [("b", LockMode.Shared)])),
            "client waits twice" => Image(("r", 5, [("a", LockMode.Exclusive, 5)], [("w", LockMode.Shared)]), ("s", 6, [("b", LockMode.Exclusive, 6)], [("w", LockMode.Shared)])),
            "wait-for cycle" => Image(("r", 5, [("a", LockMode.Exclusive, 5)], [("b", LockMode.Shared)]), ("s", 6, [("b", LockMode.Exclusive, 6)], [("a", LockMode.Shared)])),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        var ex = Assert.Throws<FormatException>(() => LockTable.Restore(bytes));

        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A busy table with sessions: holds, waits and an upgrade of a session, beside holds with leases.</summary>
    private static (LockTableHarness Harness, long Session) BusyWithSessions()
    {
        var h = Busy();
        var session = ((LockOutcome.SessionCreated)h.CreateSession(ttlMs: 8_000, requestId: "boot-1")).SessionId;
        h.OpenSession(ttlMs: 2_000, owner: "someone-else");
        h.AcquireIn(session, "s1", LockMode.Shared, resource: "r3");
        h.AcquireIn(session, "s2", LockMode.Exclusive, waitMs: 5_000, resource: "r1");
        h.AcquireIn(session, "s1", LockMode.Exclusive, resource: "r3");
        return (h, session);
    }

    [Fact]
    public void Restore_TableWithSessions_VersionThree_SameBytesStateAndSessions()
    {
        var (h, session) = BusyWithSessions();
        var bytes = h.Table.Serialize();

        var restored = LockTable.Restore(bytes);

        Assert.Equal(LockTable.SnapshotVersion, bytes[4]);
        Assert.Equal(bytes, restored.Serialize());
        Assert.Equal(h.Table.GetSession(session), restored.GetSession(session));
        Assert.Equal(h.Table.SessionCount, restored.SessionCount);
        Assert.Equal(h.Table.NextDeadlineMs(), restored.NextDeadlineMs());
        foreach (var state in h.Table.GetState())
        {
            Assert.Equal(state.Holders, restored.GetState(state.Resource)!.Holders);
            Assert.Equal(state.Waiters, restored.GetState(state.Resource)!.Waiters);
        }
    }

    [Fact]
    public void Restore_TableWithSessions_ThenSameCommands_SameOutcomesAndBytes()
    {
        var (h, session) = BusyWithSessions();
        var restored = LockTable.Restore(h.Table.Serialize());
        LockCommand[] next =
        [
            new LockCommand.CreateSession(LockTableHarness.Owner, 8_000, LockTableHarness.Start + 10) { RequestId = "boot-1" },
            new LockCommand.KeepAlive(session, LockTableHarness.Owner, LockTableHarness.Start + 20),
            new LockCommand.ExpireDue(LockTableHarness.Start + 2_000),
            new LockCommand.CloseSession(session, LockTableHarness.Owner, LockTableHarness.Start + 2_001),
        ];

        for (var i = 0; i < next.Length; i++)
        {
            var index = h.Index + 1 + i;
            Assert.Equal(h.Table.Apply(next[i], index), restored.Apply(next[i], index));
            Assert.Equal(h.Table.Serialize(), restored.Serialize());
        }
    }

    [Fact]
    public void Serialize_TableWhoseSessionsAllEnded_IsVersionTwoAgain()
    {
        var (h, session) = BusyWithSessions();
        h.CloseSession(session);
        h.NowMs += 2_000;
        h.ExpireDue();

        Assert.Equal(0, h.Table.SessionCount);
        Assert.Equal(LockTable.SessionlessSnapshotVersion, h.Table.Serialize()[4]);
    }

    [Fact]
    public void Restore_VersionThreeImageNamingASessionItDoesNotOpen_Throws()
    {
        var (h, _) = BusyWithSessions();
        var bytes = h.Table.Serialize();
        // The first session's id (after magic, version and the session count) becomes one that no command opened.
        Assert.Equal(2, bytes[5]);
        Assert.Equal(8, bytes[6]);
        bytes[6] = 7;

        var ex = Assert.Throws<FormatException>(() => LockTable.Restore(bytes));

        Assert.Contains("not open", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_VersionOneImage_LoadsWithEachHoldsGrantAsItsRequest()
    {
        // Written before holds and waiters carried their request's index.
        var bytes = LegacyImage(("r", 5, [("a", LockMode.Exclusive, 5)], [("b", LockMode.Shared)]));

        var restored = LockTable.Restore(bytes);

        var state = restored.GetState("r")!;
        Assert.Equal([new LockHolderState("a", LockMode.Exclusive, 5, 10_000)], state.Holders);
        Assert.Equal([new LockWaiterState("b", LockMode.Shared, 20_000, 1_000)], state.Waiters);
        // A withdraw naming the hold's grant finds it; the waiter's request is unknown, so none finds it.
        Assert.IsType<LockOutcome.NotHeld>(restored.Apply(new LockCommand.Withdraw("r", "b", 1, 9_000), 6));
        Assert.IsType<LockOutcome.Released>(restored.Apply(new LockCommand.Withdraw("r", "a", 5, 9_000), 7));
        Assert.Equal("b", Assert.Single(restored.GetState("r")!.Holders).ClientId);
    }

    /// <summary>Hand-writes a snapshot image, to build states the table itself never produces.</summary>
    private static byte[] Image(params (string Name, long Token, (string Client, LockMode Mode, long Token)[] Holders, (string Client, LockMode Mode)[] Waiters)[] resources) =>
        Image(LockTable.SessionlessSnapshotVersion, resources);

    private static byte[] LegacyImage(params (string Name, long Token, (string Client, LockMode Mode, long Token)[] Holders, (string Client, LockMode Mode)[] Waiters)[] resources) =>
        Image(1, resources);

    private static byte[] Image(byte version, (string Name, long Token, (string Client, LockMode Mode, long Token)[] Holders, (string Client, LockMode Mode)[] Waiters)[] resources)
    {
        var writer = new LockBinaryWriter();
        writer.WriteBytes("DSLK"u8);
        writer.WriteByte(version);
        writer.WriteVarint(resources.Length);
        foreach (var (name, token, holders, waiters) in resources)
        {
            writer.WriteString(name);
            writer.WriteVarint(token);
            writer.WriteVarint(holders.Length);
            foreach (var (client, mode, holdToken) in holders)
            {
                writer.WriteString(client);
                writer.WriteByte((byte)mode);
                writer.WriteVarint(holdToken);
                writer.WriteVarint(10_000);
                if (version > 1)
                {
                    writer.WriteVarint(holdToken);
                }
            }

            writer.WriteVarint(waiters.Length);
            foreach (var (client, mode) in waiters)
            {
                writer.WriteString(client);
                writer.WriteByte((byte)mode);
                writer.WriteVarint(1_000);
                writer.WriteVarint(20_000);
                if (version > 1)
                {
                    writer.WriteVarint(token);
                    writer.WriteString("");
                }
            }
        }

        if (version > 1)
        {
            writer.WriteVarint(0); // no remembered request ids
        }

        return writer.ToArray();
    }
}
