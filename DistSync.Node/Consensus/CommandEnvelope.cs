using System.Buffers.Binary;

namespace DistSync.Node.Consensus;

/// <summary>
/// How a command sits in a log entry: <c>u8 machine tag | i64 proposal id | payload</c>. The proposal id
/// lets the node that proposed it — whichever node that was — recognise the entry when it applies it
/// and hand the result to the waiting caller.
/// </summary>
public static class CommandEnvelope
{
    public const int HeaderBytes = 9;

    public static byte[] Encode(byte tag, long proposalId, ReadOnlySpan<byte> payload)
    {
        var data = new byte[HeaderBytes + payload.Length];
        data[0] = tag;
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(1), proposalId);
        payload.CopyTo(data.AsSpan(HeaderBytes));
        return data;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out byte tag, out long proposalId, out ReadOnlySpan<byte> payload)
    {
        if (data.Length < HeaderBytes)
        {
            tag = 0;
            proposalId = 0;
            payload = default;
            return false;
        }

        tag = data[0];
        proposalId = BinaryPrimitives.ReadInt64LittleEndian(data[1..]);
        payload = data[HeaderBytes..];
        return true;
    }
}
