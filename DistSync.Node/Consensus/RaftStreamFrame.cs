using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

namespace DistSync.Node.Consensus;

/// <summary>
/// One frame of a peer stream (<c>POST /internal/raft/stream</c>): a batch of messages, optionally with the W3C trace
/// context of the span that sent it, since one long request has no per-batch headers to carry it.
/// <code>
/// frame = length:u32le flags:u8 [traceId:16 spanId:8 traceFlags:u8 when flags bit0] batch
/// </code>
/// <c>length</c> counts everything after itself; <c>batch</c> is <see cref="MessageCodec.EncodeBatch"/>'s output.
/// </summary>
public static class RaftStreamFrame
{
    public const int MaxFrameBytes = 64 * 1024 * 1024;
    private const int LengthBytes = 4;
    private const int TraceBytes = 16 + 8 + 1;
    private const byte FlagTraced = 1;

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

    /// <summary>Decodes a frame <see cref="TryRead"/> returned (without its length).</summary>
    public static (IReadOnlyList<Message> Messages, ActivityContext Trace) Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 1)
        {
            throw new FormatException("Empty Raft stream frame.");
        }

        var flags = frame[0];
        if ((flags & ~FlagTraced) != 0)
        {
            throw new FormatException($"Unknown Raft stream frame flags {flags}.");
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
