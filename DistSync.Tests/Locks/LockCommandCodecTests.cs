using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockCommandCodecTests
{
    public static TheoryData<LockCommand> Commands => new()
    {
        new LockCommand.Acquire("orders/42", "client-1", LockMode.Exclusive, 30_000, 0, 0),
        new LockCommand.Acquire("ресурс-✓", "c", LockMode.Shared, LockLimits.MaxTtlMs, LockLimits.MaxWaitMs, 0),
        new LockCommand.Acquire(new string('r', LockLimits.MaxResourceBytes), new string('c', LockLimits.MaxClientIdBytes), LockMode.Shared, 1, 1, 0),
        new LockCommand.Release("orders/42", "client-1", 0),
        new LockCommand.Release("orders/42", "client-1", 0) { FencingToken = long.MaxValue },
        new LockCommand.Renew("orders/42", "client-1", 1, 0),
        new LockCommand.Renew("orders/42", "client-1", 1, 0) { FencingToken = 12 },
        new LockCommand.ExpireDue(0),
        new LockCommand.Withdraw("orders/42", "client-1", 77, 0),
        new LockCommand.Withdraw("orders/42", "client-1", 78, 0) { RequestId = "retry-3" },
        new LockCommand.Acquire("orders/42", "client-1", LockMode.Shared, 10, 10, 0) { RequestId = "retry-1" },
        new LockCommand.Release("orders/42", "client-1", 0) { FencingToken = 3, RequestId = "retry-2" },
        new LockCommand.Renew("orders/42", "client-1", 1, 0) { RequestId = new string('x', LockLimits.MaxRequestIdBytes) },
        new LockCommand.Acquire("orders/42", "client-1", LockMode.Exclusive, 0, 5_000, 0) { SessionId = 17, Owner = "app" },
        new LockCommand.Acquire("orders/42", "client-1", LockMode.Shared, 0, 0, 0) { SessionId = long.MaxValue, Owner = "app", RequestId = "retry-4" },
        new LockCommand.CreateSession("app", LockLimits.MinSessionTtlMs, 0),
        new LockCommand.CreateSession(new string('o', LockLimits.MaxOwnerBytes), LockLimits.MaxSessionTtlMs, 0) { RequestId = "boot-1" },
        new LockCommand.KeepAlive(17, "app", 0),
        new LockCommand.CloseSession(17, "app", 0),
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Decode_EncodedCommand_RoundTripsExactly(LockCommand command)
    {
        var bytes = LockCommandCodec.Encode(command);

        var decoded = LockCommandCodec.Decode(bytes);

        Assert.Equal(command, decoded);
        Assert.Equal(bytes, LockCommandCodec.Encode(decoded));
    }

    [Fact]
    public void Encode_Commands_CompactKnownBytes()
    {
        Assert.Equal([2, 4], LockCommandCodec.Encode(new LockCommand.ExpireDue(0)));
        Assert.Equal(
            [2, 2, 1, (byte)'r', 1, (byte)'c', 0, 0],
            LockCommandCodec.Encode(new LockCommand.Release("r", "c", 0)));
        Assert.Equal(
            [2, 2, 1, (byte)'r', 1, (byte)'c', 7, 1, (byte)'q'],
            LockCommandCodec.Encode(new LockCommand.Release("r", "c", 0) { FencingToken = 7, RequestId = "q" }));
        Assert.Equal(
            [2, 1, 1, (byte)'r', 1, (byte)'c', 2, 0xE8, 0x07, 0, 0],
            LockCommandCodec.Encode(new LockCommand.Acquire("r", "c", LockMode.Exclusive, 1_000, 0, 0)));
        Assert.Equal(
            [2, 5, 1, (byte)'r', 1, (byte)'c', 0x80, 0x01, 0],
            LockCommandCodec.Encode(new LockCommand.Withdraw("r", "c", 128, 0)));
    }

    [Fact]
    public void Encode_SessionCommands_AreVersionThree_AndEveryOtherStaysVersionTwo()
    {
        Assert.Equal(
            [3, 6, 3, (byte)'a', (byte)'p', (byte)'p', 0x90, 0x4E, 0],
            LockCommandCodec.Encode(new LockCommand.CreateSession("app", 10_000, 0)));
        Assert.Equal([3, 7, 17, 1, (byte)'o'], LockCommandCodec.Encode(new LockCommand.KeepAlive(17, "o", 0)));
        Assert.Equal([3, 8, 17, 1, (byte)'o'], LockCommandCodec.Encode(new LockCommand.CloseSession(17, "o", 0)));
        Assert.Equal(
            [3, 1, 1, (byte)'r', 1, (byte)'c', 2, 0, 0, 0, 17, 1, (byte)'o'],
            LockCommandCodec.Encode(new LockCommand.Acquire("r", "c", LockMode.Exclusive, 0, 0, 0) { SessionId = 17, Owner = "o" }));
        Assert.Equal(LockCommandCodec.SessionlessFormatVersion, LockCommandCodec.Encode(new LockCommand.Acquire("r", "c", LockMode.Exclusive, 1_000, 0, 0))[0]);
    }

    [Fact]
    public void Decode_VersionTwoBytes_AsTheReleaseBeforeWroteThem()
    {
        // Written before sessions: every command in version 2, which still decodes (a data folder of that release loads).
        Assert.Equal(new LockCommand.ExpireDue(0), LockCommandCodec.Decode([2, 4]));
        Assert.Equal(new LockCommand.Release("r", "c", 0) { FencingToken = 7, RequestId = "q" }, LockCommandCodec.Decode([2, 2, 1, (byte)'r', 1, (byte)'c', 7, 1, (byte)'q']));
        Assert.Equal(
            new LockCommand.Acquire("r", "c", LockMode.Exclusive, 1_000, 0, 0),
            LockCommandCodec.Decode([2, 1, 1, (byte)'r', 1, (byte)'c', 2, 0xE8, 0x07, 0, 0]));
        Assert.Equal(new LockCommand.Withdraw("r", "c", 128, 0), LockCommandCodec.Decode([2, 5, 1, (byte)'r', 1, (byte)'c', 0x80, 0x01, 0]));
    }

    public static TheoryData<byte[], string> NotCanonical => new()
    {
        // A command version 2 can say is never written as version 3, and version 2 has no session commands.
        { [3, 4], "not written in format version 3" },
        { [3, 2, 1, (byte)'r', 1, (byte)'c', 0, 0], "not written in format version 3" },
        { [3, 1, 1, (byte)'r', 1, (byte)'c', 2, 0, 0, 0, 0, 1, (byte)'o'], "session_id" },
        { [3, 1, 1, (byte)'r', 1, (byte)'c', 2, 0xE8, 0x07, 0, 0, 17, 1, (byte)'o'], "ttl_ms" },
        { [2, 7, 17, 1, (byte)'o'], "tag" },
        { [3, 6, 3, (byte)'a', (byte)'p', (byte)'p', 0xE7, 0x07, 0], "ttl_ms" },
        { [3, 7, 17, 0], "owner" },
    };

    [Theory]
    [MemberData(nameof(NotCanonical))]
    public void Decode_SessionBytesThatAreNotTheOneEncoding_Throw(byte[] bytes, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => LockCommandCodec.Decode(bytes));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_NeverWritesATime_TheLeaderStampsTheEntry()
    {
        Assert.Equal(
            LockCommandCodec.Encode(new LockCommand.Acquire("r", "c", LockMode.Exclusive, 1_000, 0, 0)),
            LockCommandCodec.Encode(new LockCommand.Acquire("r", "c", LockMode.Exclusive, 1_000, 0, 1_700_000_000_000)));
    }

    [Fact]
    public void Decode_LegacyFormat_KeepsItsProposersClock()
    {
        // Written before leader time: version 1, every command ending with the proposer's clock, no tokens.
        Assert.Equal(new LockCommand.ExpireDue(128), LockCommandCodec.Decode([1, 4, 0x80, 0x01]));
        Assert.Equal(new LockCommand.Release("r", "c", 5), LockCommandCodec.Decode([1, 2, 1, (byte)'r', 1, (byte)'c', 5]));
        Assert.Equal(
            new LockCommand.Acquire("r", "c", LockMode.Exclusive, 1_000, 0, 9),
            LockCommandCodec.Decode([1, 1, 1, (byte)'r', 1, (byte)'c', 2, 0xE8, 0x07, 0, 9]));
        Assert.Throws<FormatException>(() => LockCommandCodec.Decode([1, 5, 1, (byte)'r', 1, (byte)'c', 1, 9]));
    }

    [Fact]
    public void Encode_InvalidCommand_Throws()
    {
        Assert.Throws<ArgumentException>(() => LockCommandCodec.Encode(new LockCommand.Acquire("", "c", LockMode.Shared, 1, 0, 0)));
        Assert.Throws<ArgumentException>(() => LockCommandCodec.Encode(new LockCommand.Renew("r", "c", LockLimits.MaxTtlMs + 1, 0)));
        Assert.Throws<ArgumentException>(() => LockCommandCodec.Encode(new LockCommand.ExpireDue(-1)));
    }

    public static TheoryData<byte[], string> Garbage => new()
    {
        { [], "truncated" },
        { [3, 4, 0], "version" },
        { [2, 4, 0], "trailing" },
        { [2, 2, 1, (byte)'r', 1, (byte)'c'], "truncated" },
        { [2, 2, 1, (byte)'r', 1, (byte)'c', 0, 1, 0x07], "control characters" },
        { [2, 5, 1, (byte)'r', 1, (byte)'c', 0, 0], "request_index" },
        { [1, 9, 0], "tag" },
        { [1, 4, 0, 0], "trailing" },
        { [1, 4, 0x80, 0x00], "non-canonical" },
        { [1, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], "too long" },
        { [1, 2, 0, 1, (byte)'c', 5], "resource" },
        { [1, 2, 1, 0xC3, 1, (byte)'c', 5], "UTF-8" },
        { [1, 2, 1, 0x07, 1, (byte)'c', 5], "control characters" },
        { [1, 1, 1, (byte)'r', 1, (byte)'c', 3, 1, 0, 9], "mode" },
        { [1, 1, 1, (byte)'r', 1, (byte)'c', 0, 1, 0, 9], "mode" },
        { [1, 1, 1, (byte)'r', 1, (byte)'c', 1, 0, 0, 9], "ttl_ms" },
        { [1, 1, 1, (byte)'r', 1, (byte)'c', 1, 1, 0xE1, 0xA7, 0x12, 9], "wait_ms" },
        { [1, 3, 1, (byte)'r', 0x81, 0x01, (byte)'c', 1, 9], "client_id" },
        { [1, 4, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "now_ms" },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Decode_Garbage_ThrowsNamingTheProblem(byte[] bytes, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => LockCommandCodec.Decode(bytes));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.False(LockCommandCodec.TryDecode(bytes, out var command, out var error));
        Assert.Null(command);
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void Decode_EveryTruncation_Throws()
    {
        var bytes = LockCommandCodec.Encode(new LockCommand.Acquire("orders", "client", LockMode.Shared, 30_000, 1_000, 1_700_000_000_000));

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => LockCommandCodec.Decode(bytes.AsSpan(0, length)));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Decode_RandomBytes_ThrowsOrDecodesCanonically(int seed)
    {
        var random = new Random(seed);
        var decodedCount = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 24)];
            random.NextBytes(bytes);
            if (bytes.Length > 1)
            {
                // Get past the version byte to reach the field decoders, of both versions written today.
                bytes[0] = random.Next(2) == 0 ? LockCommandCodec.FormatVersion : LockCommandCodec.SessionlessFormatVersion;
                bytes[1] = (byte)random.Next(0, 9);
            }

            if (LockCommandCodec.TryDecode(bytes, out var command, out _))
            {
                decodedCount++;
                Assert.True(bytes.AsSpan().SequenceEqual(LockCommandCodec.Encode(command!)), $"seed {seed}: {Convert.ToHexString(bytes)} is not canonical");
            }
        }

        Assert.True(decodedCount > 0, $"seed {seed}: no random input decoded, so the canonical check never ran");
    }
}
