using System.Text;

namespace DistSync.Node.Locks;

/// <summary>
/// Reads what <see cref="LockBinaryWriter"/> wrote, strictly: every malformed, non-canonical or truncated
/// input throws <see cref="FormatException"/>, so one byte string decodes to at most one value.
/// </summary>
internal ref struct LockBinaryReader(ReadOnlySpan<byte> data)
{
    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public byte ReadByte()
    {
        if (_position >= _data.Length)
        {
            throw new FormatException($"truncated at byte {_position}");
        }

        return _data[_position++];
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || _data.Length - _position < count)
        {
            throw new FormatException($"truncated at byte {_position}: {count} bytes expected");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>A canonical unsigned LEB128 of at most 63 bits (no trailing zero groups).</summary>
    public long ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 63; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (b == 0 && shift > 0)
                {
                    throw new FormatException("non-canonical varint");
                }

                if (result > long.MaxValue)
                {
                    throw new FormatException("varint out of range");
                }

                return (long)result;
            }
        }

        throw new FormatException("varint too long");
    }

    /// <summary>A varint bounded to [min, max] (the caller's field names the rule in the message).</summary>
    public long ReadVarint(string field, long min, long max)
    {
        var value = ReadVarint();
        if (value < min || value > max)
        {
            throw new FormatException($"{field} {value} outside [{min}, {max}]");
        }

        return value;
    }

    public int ReadCount(string field, int max) => (int)ReadVarint(field, 0, max);

    public string ReadString(string field, int maxBytes)
    {
        var length = ReadCount(field, maxBytes);
        var bytes = ReadBytes(length);
        try
        {
            return _strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException($"{field} is not valid UTF-8", ex);
        }
    }

    public LockMode ReadMode()
    {
        var b = ReadByte();
        return LockModes.IsDefined(b) ? (LockMode)b : throw new FormatException($"unknown lock mode {b}");
    }

    public readonly void EnsureEnd()
    {
        if (!AtEnd)
        {
            throw new FormatException($"{_data.Length - _position} trailing bytes");
        }
    }
}
