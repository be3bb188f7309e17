using System.Text;

namespace DistSync.Raft;

/// <summary>Varints, strings and the bounded reader/writer under <see cref="MessageCodec"/>.</summary>
public static partial class MessageCodec
{
    private static ulong Unsigned(long value) =>
        value >= 0 ? (ulong)value : throw new ArgumentException($"Negative value {value} cannot be encoded.", nameof(value));

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private static int StringSize(string value)
    {
        var bytes = StrictUtf8.GetByteCount(value);
        if (bytes > MaxIdBytes)
        {
            throw new ArgumentException($"Id '{value}' is longer than {MaxIdBytes} bytes.", nameof(value));
        }

        return VarintSize((ulong)bytes) + bytes;
    }

    private ref struct Writer(byte[] buffer)
    {
        private readonly byte[] _buffer = buffer;
        private int _position;

        public void Byte(byte value) => _buffer[_position++] = value;

        public void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer[_position++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _buffer[_position++] = (byte)value;
        }

        public void Bytes(byte[] data)
        {
            data.CopyTo(_buffer, _position);
            _position += data.Length;
        }

        public void String(string value)
        {
            var count = StrictUtf8.GetBytes(value, 0, value.Length, _buffer, _position + VarintSize((ulong)StrictUtf8.GetByteCount(value)));
            Varint((ulong)count);
            _position += count;
        }

        public readonly byte[] Finish() => _position == _buffer.Length
            ? _buffer
            : throw new InvalidOperationException($"Encoded {_position} bytes, sized {_buffer.Length}.");
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        private readonly int Remaining => _data.Length - _position;

        public byte Byte()
        {
            if (_position >= _data.Length)
            {
                throw new FormatException("Message is truncated.");
            }

            return _data[_position++];
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                if (shift == 63 && b > 1)
                {
                    throw new FormatException("Varint overflows 64 bits.");
                }

                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new FormatException("Varint is longer than 10 bytes.");
        }

        public long Long()
        {
            var value = Varint();
            return value <= long.MaxValue ? (long)value : throw new FormatException($"Value {value} is out of range.");
        }

        /// <summary>A count of items that each need at least <paramref name="minItemBytes"/> more bytes.</summary>
        public int Count(int max, int minItemBytes)
        {
            var value = Varint();
            if (value > (ulong)max || value > (ulong)(Remaining / minItemBytes))
            {
                throw new FormatException($"Count {value} is more than the message can hold.");
            }

            return (int)value;
        }

        public string String()
        {
            var length = Varint();
            if (length > MaxIdBytes || length > (ulong)Remaining)
            {
                throw new FormatException($"String of {length} bytes is too long or truncated.");
            }

            var bytes = _data.Slice(_position, (int)length);
            _position += (int)length;
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new FormatException("String is not valid UTF-8.", e);
            }
        }

        public byte[] Blob()
        {
            var length = Varint();
            if (length > (ulong)Remaining)
            {
                throw new FormatException($"Payload of {length} bytes is truncated.");
            }

            var bytes = _data.Slice(_position, (int)length).ToArray();
            _position += (int)length;
            return bytes;
        }

        public readonly void EnsureEnd()
        {
            if (_position != _data.Length)
            {
                throw new FormatException($"{Remaining} trailing bytes after the message.");
            }
        }
    }
}
