using System.Buffers.Binary;

namespace DistSync.Node.Consensus;

/// <summary>
/// How a command sits in a log entry: <c>u8 machine tag | i64 proposal id | i64 leader time | payload</c>. The
/// proposal id lets the node that proposed it — whichever node that was — recognise the entry when it applies it
/// and hand the result to the waiting caller. The leader time is written by the leader as it appends the entry
/// (<see cref="Stamp"/>); a proposer's own clock never reaches the log.
/// </summary>
/// <remarks>
/// Entries written before leader time existed have no time field: their tag byte lacks <see cref="StampedFlag"/>,
/// and they decode with <c>leaderTimeMs = null</c> (the lock commands of that format carry their proposer's clock).
/// </remarks>
public static class CommandEnvelope
{
    /// <summary>Set on the tag byte of an envelope that carries a leader time.</summary>
    public const byte StampedFlag = 0x80;

    public const int HeaderBytes = 17;

    private const int LegacyHeaderBytes = 9;

    /// <summary>An envelope whose time the leader fills in; until then it reads 0.</summary>
    public static byte[] Encode(byte tag, long proposalId, ReadOnlySpan<byte> payload)
    {
        if ((tag & StampedFlag) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tag), tag, "Machine tags are below 0x80.");
        }

        var data = new byte[HeaderBytes + payload.Length];
        data[0] = (byte)(tag | StampedFlag);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(1), proposalId);
        payload.CopyTo(data.AsSpan(HeaderBytes));
        return data;
    }

    /// <summary>
    /// A copy of <paramref name="envelope"/> carrying <paramref name="leaderTimeMs"/>: what the leader appends. A copy,
    /// because the proposer may still hold the original (a forward in flight, a retry).
    /// </summary>
    public static byte[] Stamp(byte[] envelope, long leaderTimeMs)
    {
        if (envelope.Length < HeaderBytes || (envelope[0] & StampedFlag) == 0)
        {
            return envelope;
        }

        var stamped = (byte[])envelope.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(stamped.AsSpan(9), leaderTimeMs);
        return stamped;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out byte tag, out long proposalId, out long? leaderTimeMs, out ReadOnlySpan<byte> payload)
    {
        var stamped = data.Length > 0 && (data[0] & StampedFlag) != 0;
        var header = stamped ? HeaderBytes : LegacyHeaderBytes;
        if (data.Length < header)
        {
            tag = 0;
            proposalId = 0;
            leaderTimeMs = null;
            payload = default;
            return false;
        }

        tag = (byte)(data[0] & ~StampedFlag);
        proposalId = BinaryPrimitives.ReadInt64LittleEndian(data[1..]);
        leaderTimeMs = stamped ? BinaryPrimitives.ReadInt64LittleEndian(data[9..]) : null;
        payload = data[header..];
        return true;
    }

    /// <summary>The leader time of an entry's data, or null when it carries none.</summary>
    public static long? LeaderTimeOf(ReadOnlySpan<byte> data) =>
        data.Length >= HeaderBytes && (data[0] & StampedFlag) != 0 ? BinaryPrimitives.ReadInt64LittleEndian(data[9..]) : null;
}
