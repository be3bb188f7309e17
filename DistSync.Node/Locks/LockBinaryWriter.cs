using System.Buffers;
using System.Text;

namespace DistSync.Node.Locks;

/// <summary>Writes the compact encoding shared by the command codec and the snapshot: LEB128 varints and length-prefixed UTF-8.</summary>
internal sealed class LockBinaryWriter
{
    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ArrayBufferWriter<byte> _buffer;

    public LockBinaryWriter(int initialCapacity = 64) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>Unsigned LEB128 of a non-negative value: at most 9 bytes for 63 bits.</summary>
    public void WriteVarint(long value)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "varints encode non-negative values only");
        }

        var span = _buffer.GetSpan(10);
        var n = 0;
        var v = (ulong)value;
        while (v >= 0x80)
        {
            span[n++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[n++] = (byte)v;
        _buffer.Advance(n);
    }

    public void WriteString(string value)
    {
        var count = _strictUtf8.GetByteCount(value);
        WriteVarint(count);
        var span = _buffer.GetSpan(count);
        _strictUtf8.GetBytes(value, span);
        _buffer.Advance(count);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
