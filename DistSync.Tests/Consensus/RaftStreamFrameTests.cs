using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using DistSync.Node.Consensus;
using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>Frames of the peer stream: whole frames come out in order however the bytes are split, bad ones throw.</summary>
public sealed class RaftStreamFrameTests
{
    private static readonly Message Heartbeat = new() { Type = MessageType.Heartbeat, From = "node1", To = "node2", Term = 3, Commit = 7 };

    private static readonly Message Append = new()
    {
        Type = MessageType.Append, From = "node1", To = "node2", Term = 3, Index = 7, LogTerm = 3, Commit = 7,
        Entries = [new Entry(8, 3, EntryType.Command, [1, 2, 3])],
    };

    [Fact]
    public void Decode_UntracedFrame_ReturnsMessagesAndNoTrace()
    {
        var buffer = new ReadOnlySequence<byte>(RaftStreamFrame.Encode([Heartbeat, Append], null));

        Assert.True(RaftStreamFrame.TryRead(ref buffer, out var frame));
        var (messages, trace) = RaftStreamFrame.Decode(frame.ToArray());

        Assert.Equal([MessageType.Heartbeat, MessageType.Append], messages.Select(m => m.Type));
        Assert.Equal([1, 2, 3], messages[1].Entries[0].Data);
        Assert.Equal(default, trace);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Decode_TracedFrame_CarriesTheSendersContext()
    {
        var sent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var buffer = new ReadOnlySequence<byte>(RaftStreamFrame.Encode([Append], sent));

        Assert.True(RaftStreamFrame.TryRead(ref buffer, out var frame));
        var (messages, trace) = RaftStreamFrame.Decode(frame.ToArray());

        Assert.Equal((sent.TraceId, sent.SpanId, sent.TraceFlags, true), (trace.TraceId, trace.SpanId, trace.TraceFlags, trace.IsRemote));
        Assert.Single(messages);
    }

    [Fact]
    public void TryRead_BytesArrivingOneAtATime_YieldsEachFrameOnceComplete()
    {
        var stream = RaftStreamFrame.Encode([Heartbeat], null).Concat(RaftStreamFrame.Encode([Append], null)).ToArray();
        var received = new List<byte>();
        var frames = new List<MessageType>();

        foreach (var b in stream)
        {
            received.Add(b);
            var buffer = new ReadOnlySequence<byte>(received.ToArray());
            while (RaftStreamFrame.TryRead(ref buffer, out var frame))
            {
                frames.AddRange(RaftStreamFrame.Decode(frame.ToArray()).Messages.Select(m => m.Type));
            }

            // Keep only what was not consumed, as a PipeReader would.
            received = [.. buffer.ToArray()];
        }

        Assert.Equal([MessageType.Heartbeat, MessageType.Append], frames);
        Assert.Empty(received);
    }

    [Fact]
    public void TryRead_FrameSplitAcrossSegments_ReadsIt()
    {
        var bytes = RaftStreamFrame.Encode([Append, Heartbeat], null);
        var first = new Segment(bytes.AsMemory(0, 3));
        var last = first.Append(bytes.AsMemory(3, 10)).Append(bytes.AsMemory(13));
        var buffer = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);

        Assert.True(RaftStreamFrame.TryRead(ref buffer, out var frame));

        Assert.False(frame.IsSingleSegment);
        Assert.Equal(2, RaftStreamFrame.Decode(frame.ToArray()).Messages.Count);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData((uint)RaftStreamFrame.MaxFrameBytes + 1)]
    [InlineData(uint.MaxValue)]
    public void TryRead_LengthOutsideLimits_ThrowsFormatException(uint length)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, length);
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Throws<FormatException>(() => RaftStreamFrame.TryRead(ref buffer, out _));
    }

    [Fact]
    public void Decode_UnknownFlag_ThrowsFormatException()
    {
        var bytes = RaftStreamFrame.Encode([Heartbeat], null);
        bytes[4] = 0x80;
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(RaftStreamFrame.TryRead(ref buffer, out var frame));

        Assert.Throws<FormatException>(() => RaftStreamFrame.Decode(frame.ToArray()));
    }

    [Fact]
    public void Decode_TraceFlagWithoutContext_ThrowsFormatException() =>
        Assert.Throws<FormatException>(() => RaftStreamFrame.Decode([1, 1, 0]));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
