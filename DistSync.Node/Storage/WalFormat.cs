using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using DistSync.Raft;

namespace DistSync.Node.Storage;

/// <summary>Byte layout of WAL segments and records (see the format comment in RaftStorage.cs). All integers little-endian.</summary>
internal static class WalFormat
{
    public const int Version = 1;
    public const int SegmentHeaderBytes = 32;
    public const int FrameHeaderBytes = 8;   // salt, payload length
    public const int FrameTrailerBytes = 4;  // crc
    public const int FrameOverhead = FrameHeaderBytes + FrameTrailerBytes;
    public const int RecordHeaderBytes = 5;  // type, body length
    public const int EntryFixedBytes = 17;   // index, term, entry type
    public const int HardStateFixedBytes = 20; // term, commit, votedFor length
    public const int MarkerBytes = 17;       // index, term, retain
    public const int MaxIdBytes = 1024;      // node ids (votedFor, voters), UTF-8

    public const byte EntryRecord = 1;
    public const byte HardStateRecord = 2;
    public const byte SnapshotMarkerRecord = 3;

    /// <summary>"DSYNCWAL".</summary>
    public static ReadOnlySpan<byte> SegmentMagic => "DSYNCWAL"u8;

    public static int EntryRecordBytes(Entry entry) => RecordHeaderBytes + EntryFixedBytes + entry.Data.Length;

    public static int HardStateRecordBytes(in HardState state) =>
        RecordHeaderBytes + HardStateFixedBytes + (state.VotedFor is null ? 0 : Encoding.UTF8.GetByteCount(state.VotedFor));

    public const int MarkerRecordBytes = RecordHeaderBytes + MarkerBytes;

    public static int WriteEntry(Span<byte> destination, Entry entry)
    {
        var body = EntryFixedBytes + entry.Data.Length;
        destination[0] = EntryRecord;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], body);
        BinaryPrimitives.WriteInt64LittleEndian(destination[5..], entry.Index);
        BinaryPrimitives.WriteInt64LittleEndian(destination[13..], entry.Term);
        destination[21] = (byte)entry.Type;
        entry.Data.CopyTo(destination[22..]);
        return RecordHeaderBytes + body;
    }

    public static int WriteHardState(Span<byte> destination, in HardState state)
    {
        var idBytes = state.VotedFor is null ? 0 : Encoding.UTF8.GetBytes(state.VotedFor, destination[(RecordHeaderBytes + HardStateFixedBytes)..]);
        var body = HardStateFixedBytes + idBytes;
        destination[0] = HardStateRecord;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], body);
        BinaryPrimitives.WriteInt64LittleEndian(destination[5..], state.Term);
        BinaryPrimitives.WriteInt64LittleEndian(destination[13..], state.Commit);
        BinaryPrimitives.WriteInt32LittleEndian(destination[21..], state.VotedFor is null ? -1 : idBytes);
        return RecordHeaderBytes + body;
    }

    public static int WriteMarker(Span<byte> destination, long index, long term, bool retainLog)
    {
        destination[0] = SnapshotMarkerRecord;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], MarkerBytes);
        BinaryPrimitives.WriteInt64LittleEndian(destination[5..], index);
        BinaryPrimitives.WriteInt64LittleEndian(destination[13..], term);
        destination[21] = retainLog ? (byte)1 : (byte)0;
        return MarkerRecordBytes;
    }

    /// <summary>Fills in salt and length in front of a payload and the CRC behind it.</summary>
    public static void SealFrame(Span<byte> frame, uint salt)
    {
        var payloadLength = frame.Length - FrameOverhead;
        BinaryPrimitives.WriteUInt32LittleEndian(frame, salt);
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], payloadLength);
        var crc = Crc32.HashToUInt32(frame[..(FrameHeaderBytes + payloadLength)]);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[(FrameHeaderBytes + payloadLength)..], crc);
    }

    /// <summary>
    /// Checks the frame starting at <paramref name="offset"/>: salt, a sane length that fits the file, and the CRC.
    /// Returns the payload length, or -1 when the bytes there are not a whole valid frame.
    /// </summary>
    public static int TryReadFrame(ReadOnlySpan<byte> file, int offset, uint salt)
    {
        if (file.Length - offset < FrameOverhead + RecordHeaderBytes)
        {
            return -1;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(file[offset..]) != salt)
        {
            return -1;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(file[(offset + 4)..]);
        if (length < RecordHeaderBytes || length > RaftStorageOptions.AbsoluteMaxFrameBytes
            || (long)offset + FrameOverhead + length > file.Length)
        {
            return -1;
        }

        var crc = Crc32.HashToUInt32(file.Slice(offset, FrameHeaderBytes + length));
        return BinaryPrimitives.ReadUInt32LittleEndian(file[(offset + FrameHeaderBytes + length)..]) == crc ? length : -1;
    }

    /// <summary>Finds the first valid frame at or after <paramref name="from"/>; -1 if none. Linear in practice: the salt gates the CRC.</summary>
    public static int FindValidFrame(ReadOnlySpan<byte> file, int from, uint salt)
    {
        for (var p = from; p <= file.Length - FrameOverhead; p++)
        {
            if (TryReadFrame(file, p, salt) >= 0)
            {
                return p;
            }
        }

        return -1;
    }

    public static void WriteSegmentHeader(Span<byte> destination, long sequence, uint salt)
    {
        SegmentMagic.CopyTo(destination);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], salt);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], sequence);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], Crc32.HashToUInt32(destination[..28]));
    }

    /// <summary>Reads a segment header; null when it is short, has the wrong magic or a bad CRC. Throws on an unknown version.</summary>
    public static (long Sequence, uint Salt)? TryReadSegmentHeader(ReadOnlySpan<byte> file, string path)
    {
        if (file.Length < SegmentHeaderBytes || !file[..8].SequenceEqual(SegmentMagic)
            || BinaryPrimitives.ReadUInt32LittleEndian(file[28..]) != Crc32.HashToUInt32(file[..28]))
        {
            return null;
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(file[8..]);
        if (version != Version)
        {
            throw new WalCorruptionException(path, 8, $"unsupported WAL version {version} (this build reads {Version})");
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(file[16..]), BinaryPrimitives.ReadUInt32LittleEndian(file[12..]));
    }

    public static string SegmentFileName(long sequence) => $"{sequence:D20}.wal";
}
