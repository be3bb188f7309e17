using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>The peer wire format: exact round trips, and strict rejection of anything malformed.</summary>
public sealed class MessageCodecTests
{
    private static Message Full() => new()
    {
        Type = MessageType.Append,
        From = "node1",
        To = "node2",
        Term = 7,
        LogTerm = 6,
        Index = 41,
        Commit = 40,
        Reject = true,
        RejectHint = long.MaxValue,
        Context = -123456789,
        Entries = [Entry.EmptyAt(42, 7), new Entry(43, 7, EntryType.Command, [1, 2, 3]), new Entry(44, 7, EntryType.Command, new byte[300])],
    };

    private static Message WithSnapshot() => new()
    {
        Type = MessageType.InstallSnapshot,
        From = "nöde-1",
        To = "node3",
        Term = 3,
        Index = 100,
        LogTerm = 2,
        Snapshot = new Snapshot(new SnapshotMetadata(100, 2, ["nöde-1", "node2", "node3"]), [9, 8, 7, 6]),
    };

    private static void AssertSame(Message expected, Message actual)
    {
        Assert.Equal(expected with { Entries = [], Snapshot = null }, actual with { Entries = [], Snapshot = null });
        Assert.Equal(expected.Entries.Count, actual.Entries.Count);
        for (var i = 0; i < expected.Entries.Count; i++)
        {
            var (e, a) = (expected.Entries[i], actual.Entries[i]);
            Assert.Equal((e.Index, e.Term, e.Type), (a.Index, a.Term, a.Type));
            Assert.Equal(e.Data, a.Data);
        }

        Assert.Equal(expected.Snapshot is null, actual.Snapshot is null);
        if (expected.Snapshot is { } s)
        {
            Assert.Equal((s.Metadata.Index, s.Metadata.Term), (actual.Snapshot!.Metadata.Index, actual.Snapshot.Metadata.Term));
            Assert.Equal(s.Metadata.Voters, actual.Snapshot.Metadata.Voters);
            Assert.Equal(s.Data, actual.Snapshot.Data);
        }
    }

    [Fact]
    public void Decode_EncodedAppendWithEntries_RoundTrips()
    {
        var message = Full();

        AssertSame(message, MessageCodec.Decode(MessageCodec.Encode(message)));
    }

    [Fact]
    public void Decode_EncodedSnapshot_RoundTrips()
    {
        var message = WithSnapshot();

        AssertSame(message, MessageCodec.Decode(MessageCodec.Encode(message)));
    }

    [Theory]
    [InlineData(MessageType.PreVote)]
    [InlineData(MessageType.PreVoteResponse)]
    [InlineData(MessageType.Vote)]
    [InlineData(MessageType.VoteResponse)]
    [InlineData(MessageType.AppendResponse)]
    [InlineData(MessageType.Heartbeat)]
    [InlineData(MessageType.HeartbeatResponse)]
    [InlineData(MessageType.TimeoutNow)]
    [InlineData(MessageType.ReadIndex)]
    [InlineData(MessageType.ReadIndexResponse)]
    [InlineData(MessageType.TransferLeader)]
    [InlineData(MessageType.ForwardAnswer)]
    public void Decode_EveryEntrylessType_RoundTrips(MessageType type)
    {
        var message = new Message { Type = type, From = "a", To = "b", Term = 1, Index = 300, Context = long.MinValue, Commit = 0 };

        AssertSame(message, MessageCodec.Decode(MessageCodec.Encode(message)));
    }

    [Fact]
    public void Decode_ForwardedCommand_RoundTrips()
    {
        var message = new Message
        {
            Type = MessageType.Forward, From = "node2", To = "node1", Context = 1L << 40,
            Entries = [new Entry(1, 0, EntryType.Command, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])],
        };

        AssertSame(message, MessageCodec.Decode(MessageCodec.Encode(message)));
    }

    [Fact]
    public void DecodeBatch_EncodedBatch_RoundTripsInOrder()
    {
        Message[] batch = [Full(), WithSnapshot(), new Message { Type = MessageType.Heartbeat, From = "x", To = "y", Term = 2 }];

        var decoded = MessageCodec.DecodeBatch(MessageCodec.EncodeBatch(batch));

        Assert.Equal(batch.Length, decoded.Count);
        for (var i = 0; i < batch.Length; i++)
        {
            AssertSame(batch[i], decoded[i]);
        }
    }

    [Fact]
    public void DecodeBatch_Empty_RoundTrips() => Assert.Empty(MessageCodec.DecodeBatch(MessageCodec.EncodeBatch([])));

    [Fact]
    public void Decode_EveryTruncation_ThrowsFormatException()
    {
        var bytes = MessageCodec.EncodeBatch([Full(), WithSnapshot()]);

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length).ToArray();
            Assert.Throws<FormatException>(() => MessageCodec.DecodeBatch(prefix));
        }
    }

    [Fact]
    public void Decode_TrailingByte_ThrowsFormatException()
    {
        var bytes = MessageCodec.Encode(Full());

        Assert.Throws<FormatException>(() => MessageCodec.Decode([.. bytes, 0]));
    }

    [Theory]
    [InlineData(new byte[] { 0 })] // message type 0
    [InlineData(new byte[] { 99 })] // unknown message type
    [InlineData(new byte[] { 2, 1 })] // unknown batch version
    [InlineData(new byte[] { 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })] // batch count far beyond the input
    public void DecodeBatch_Garbage_ThrowsFormatException(byte[] bytes) =>
        Assert.Throws<FormatException>(() => MessageCodec.DecodeBatch(bytes));

    [Fact]
    public void Decode_HugeEntryCountClaim_ThrowsWithoutAllocating()
    {
        // type, from "a", to "b", five zero varints, flags 0, context 0, then an entry count of 2^31-1.
        byte[] bytes = [5, 1, (byte)'a', 1, (byte)'b', 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x07];

        Assert.Throws<FormatException>(() => MessageCodec.Decode(bytes));
    }

    [Fact]
    public void Decode_InvalidUtf8Id_ThrowsFormatException()
    {
        byte[] bytes = [7, 1, 0xC3, 1, (byte)'b', 0, 0, 0, 0, 0, 0, 0, 0];

        Assert.Throws<FormatException>(() => MessageCodec.Decode(bytes));
    }

    [Fact]
    public void Decode_UnknownFlagBit_ThrowsFormatException()
    {
        var bytes = MessageCodec.Encode(new Message { Type = MessageType.Heartbeat, From = "a", To = "b" });
        bytes[^3] = 0x80 >> 3; // flags byte sits before the context and entry count

        Assert.Throws<FormatException>(() => MessageCodec.Decode(bytes));
    }

    [Fact]
    public void Decode_NonContiguousEntries_ThrowsFormatException()
    {
        var message = Full() with { Entries = [new Entry(42, 7, EntryType.Command, []), new Entry(44, 7, EntryType.Command, [])] };

        Assert.Throws<FormatException>(() => MessageCodec.Decode(MessageCodec.Encode(message)));
    }

    [Fact]
    public void Decode_OverlongVarint_ThrowsFormatException()
    {
        byte[] bytes = [7, 1, (byte)'a', 1, (byte)'b', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0, 0, 0, 0];

        Assert.Throws<FormatException>(() => MessageCodec.Decode(bytes));
    }

    [Fact]
    public void Decode_RandomMutations_OnlyFormatExceptionsOrValidMessages()
    {
        var random = new Random(2024);
        var original = MessageCodec.EncodeBatch([Full(), WithSnapshot()]);
        var rejected = 0;
        for (var i = 0; i < 5000; i++)
        {
            var bytes = (byte[])original.Clone();
            var flips = 1 + random.Next(4);
            for (var f = 0; f < flips; f++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                var decoded = MessageCodec.DecodeBatch(bytes);
                Assert.Equal(2, decoded.Count);
            }
            catch (FormatException)
            {
                rejected++;
            }
        }

        Assert.True(rejected > 0, "no mutation was rejected");
    }

    [Fact]
    public void Encode_NegativeTerm_Throws() =>
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(new Message { Type = MessageType.Heartbeat, From = "a", To = "b", Term = -1 }));
}
