using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// One frame of a peer stream (<c>POST /internal/raft/stream</c>): a batch of messages, optionally with the W3C trace
/// context of the span that sent it, since one long request has no per-batch headers to carry it; or one
/// <see cref="SnapshotChunk"/> of an InstallSnapshot, which travels in pieces between the batches.
/// <code>
/// frame = length:u32le flags:u8 [traceId:16 spanId:8 traceFlags:u8 when flags bit0] batch   (flags bit1 clear)
///       | length:u32le flags:u8(2) chunk                                                   (flags bit1 set)
/// </code>
/// <c>length</c> counts everything after itself; <c>batch</c> is <see cref="MessageCodec.EncodeBatch"/>'s output,
/// <c>chunk</c> is <see cref="SnapshotChunk.Encode"/>'s.
/// </summary>
public static class RaftStreamFrame
{
    public const int MaxFrameBytes = 64 * 1024 * 1024;
    private const int LengthBytes = 4;
    private const int TraceBytes = 16 + 8 + 1;
    private const byte FlagTraced = 1;
    private const byte FlagSnapshotChunk = 2;

    public static byte[] Encode(IReadOnlyList<Message> messages, ActivityContext? trace)
    {
        var batch = MessageCodec.EncodeBatch(messages);
        var traced = trace is { } given && given != default;
        var body = 1 + (traced ? TraceBytes : 0) + batch.Length;
        if (body > MaxFrameBytes)
        {
            throw new ArgumentException($"A frame may carry at most {MaxFrameBytes} bytes.", nameof(messages));
        }

        var frame = new byte[LengthBytes + body];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)body);
        frame[LengthBytes] = traced ? FlagTraced : (byte)0;
        var offset = LengthBytes + 1;
        if (traced)
        {
            var context = trace!.Value;
            context.TraceId.CopyTo(frame.AsSpan(offset, 16));
            context.SpanId.CopyTo(frame.AsSpan(offset + 16, 8));
            frame[offset + 24] = (byte)context.TraceFlags;
            offset += TraceBytes;
        }

        batch.CopyTo(frame.AsSpan(offset));
        return frame;
    }

    /// <summary>Bytes of the frame <see cref="EncodeChunk"/> writes for <paramref name="chunk"/>.</summary>
    public static int ChunkFrameBytes(SnapshotChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return LengthBytes + 1 + chunk.EncodedBytes;
    }

    /// <summary>Writes a frame carrying one snapshot chunk into <paramref name="destination"/>; returns its length.</summary>
    public static int EncodeChunk(SnapshotChunk chunk, Span<byte> destination)
    {
        var size = ChunkFrameBytes(chunk);
        if (size - LengthBytes > MaxFrameBytes)
        {
            throw new ArgumentException($"A frame may carry at most {MaxFrameBytes} bytes.", nameof(chunk));
        }

        if (destination.Length < size)
        {
            throw new ArgumentException($"The frame needs {size} bytes; {destination.Length} given.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(size - LengthBytes));
        destination[LengthBytes] = FlagSnapshotChunk;
        chunk.Encode(destination[(LengthBytes + 1)..size]);
        return size;
    }

    /// <summary>True when a frame <see cref="TryRead"/> returned carries a snapshot chunk (<see cref="DecodeChunk"/>), not messages.</summary>
    public static bool IsSnapshotChunk(ReadOnlySequence<byte> frame)
    {
        Span<byte> flags = stackalloc byte[1];
        frame.Slice(0, 1).CopyTo(flags);
        return (flags[0] & FlagSnapshotChunk) != 0;
    }

    /// <summary>Decodes a chunk frame (without its length); the chunk's data is a slice of <paramref name="frame"/>.</summary>
    public static SnapshotChunk DecodeChunk(ReadOnlyMemory<byte> frame)
    {
        if (frame.Length < 1 || frame.Span[0] != FlagSnapshotChunk)
        {
            throw new FormatException("Not a snapshot chunk frame.");
        }

        return SnapshotChunk.Decode(frame[1..]);
    }

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>; false when more bytes are needed.
    /// Throws <see cref="FormatException"/> for a frame that could never be valid.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < LengthBytes)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[LengthBytes];
        buffer.Slice(0, LengthBytes).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length is 0 or > MaxFrameBytes)
        {
            throw new FormatException($"A Raft stream frame of {length} bytes is outside 1..{MaxFrameBytes}.");
        }

        if (buffer.Length < LengthBytes + length)
        {
            return false;
        }

        frame = buffer.Slice(LengthBytes, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <summary>Decodes a frame of messages <see cref="TryRead"/> returned (without its length).</summary>
    public static (IReadOnlyList<Message> Messages, ActivityContext Trace) Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 1)
        {
            throw new FormatException("Empty Raft stream frame.");
        }

        var flags = frame[0];
        if ((flags & ~FlagTraced) != 0)
        {
            throw new FormatException((flags & FlagSnapshotChunk) != 0
                ? "A snapshot chunk frame holds no messages (DecodeChunk reads it)."
                : $"Unknown Raft stream frame flags {flags}.");
        }

        var trace = default(ActivityContext);
        var offset = 1;
        if ((flags & FlagTraced) != 0)
        {
            if (frame.Length < 1 + TraceBytes)
            {
                throw new FormatException("Raft stream frame cut inside its trace context.");
            }

            trace = new ActivityContext(
                ActivityTraceId.CreateFromBytes(frame.Slice(1, 16)),
                ActivitySpanId.CreateFromBytes(frame.Slice(17, 8)),
                (ActivityTraceFlags)frame[25],
                isRemote: true);
            offset += TraceBytes;
        }

        return (MessageCodec.DecodeBatch(frame[offset..]), trace);
    }
}
