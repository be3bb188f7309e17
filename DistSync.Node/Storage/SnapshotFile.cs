using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using DistSync.Raft;

namespace DistSync.Node.Storage;

/// <summary>
/// One snapshot per file, snap/{index:D20}.snap: "DSYNCSNP", version, reserved, index, term, voter count,
/// voters (u16 length + UTF-8 each), [version 2: learner count (i32), learners as the voters], data length (i64), data,
/// then a CRC-32 of everything before it. Version 1 (no learners) is still written when there are no learners, so a
/// node rolled back can read it; both are read.
/// </summary>
internal static class SnapshotFile
{
    public const string Extension = ".snap";
    public const string TempExtension = ".snap.tmp";
    private const int MaxVoters = 1024;

    /// <summary>The version that carries learners; version 1 is <see cref="WalFormat.Version"/>.</summary>
    public const int VersionWithLearners = 2;

    private static ReadOnlySpan<byte> Magic => "DSYNCSNP"u8;

    public static string FileName(long index) => $"{index:D20}{Extension}";

    public static byte[] Encode(Snapshot snapshot)
    {
        var (header, checksum) = EncodeFrame(snapshot);
        return [.. header, .. snapshot.Data, .. checksum];
    }

    /// <summary>
    /// What goes around the data in the file: the header before it and the CRC-32 after it, so that a writer can put the
    /// data down from where it is rather than copy it into a file-sized buffer first.
    /// </summary>
    public static (byte[] Header, byte[] Checksum) EncodeFrame(Snapshot snapshot)
    {
        var meta = snapshot.Metadata;
        if (meta.Voters.Count > MaxVoters || meta.Learners.Count > MaxVoters)
        {
            throw new ArgumentException($"snapshot names {meta.Voters.Count} voters and {meta.Learners.Count} learners; at most {MaxVoters} each", nameof(snapshot));
        }

        var withLearners = meta.Learners.Count > 0;
        var length = 8 + 4 + 4 + 8 + 8 + 4 + 8 + (withLearners ? 4 : 0);
        foreach (var voter in meta.Voters.Concat(meta.Learners))
        {
            var bytes = Encoding.UTF8.GetByteCount(voter);
            if (bytes > WalFormat.MaxIdBytes)
            {
                throw new ArgumentException($"voter id of {bytes} bytes; at most {WalFormat.MaxIdBytes}", nameof(snapshot));
            }

            length += 2 + bytes;
        }

        var header = new byte[length];
        var span = header.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], withLearners ? VersionWithLearners : WalFormat.Version);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], meta.Index);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], meta.Term);
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], meta.Voters.Count);
        var position = WriteIds(span, 36, meta.Voters);
        if (withLearners)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[position..], meta.Learners.Count);
            position = WriteIds(span, position + 4, meta.Learners);
        }

        BinaryPrimitives.WriteInt64LittleEndian(span[position..], snapshot.Data.Length);
        var crc = new Crc32();
        crc.Append(header);
        crc.Append(snapshot.Data);
        var checksum = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(checksum, crc.GetCurrentHashAsUInt32());
        return (header, checksum);
    }

    public static Snapshot Decode(ReadOnlySpan<byte> file, string path)
    {
        if (file.Length < 48 || !file[..8].SequenceEqual(Magic))
        {
            throw new WalCorruptionException(path, 0, "not a snapshot file (short or wrong magic)");
        }

        var crcAt = file.Length - 4;
        if (BinaryPrimitives.ReadUInt32LittleEndian(file[crcAt..]) != Crc32.HashToUInt32(file[..crcAt]))
        {
            throw new WalCorruptionException(path, crcAt, "snapshot checksum mismatch");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(file[8..]);
        if (version is not (WalFormat.Version or VersionWithLearners))
        {
            throw new WalCorruptionException(path, 8, $"unsupported snapshot version {version}");
        }

        var index = BinaryPrimitives.ReadInt64LittleEndian(file[16..]);
        var term = BinaryPrimitives.ReadInt64LittleEndian(file[24..]);
        var voterCount = BinaryPrimitives.ReadInt32LittleEndian(file[32..]);
        if (index < 1 || term < 0 || voterCount < 0 || voterCount > MaxVoters)
        {
            throw new WalCorruptionException(path, 16, $"snapshot header with index {index}, term {term}, {voterCount} voters");
        }

        var position = 36;
        var voters = ReadIds(file, ref position, crcAt, voterCount, path);
        List<string> learners = [];
        if (version == VersionWithLearners)
        {
            if (crcAt - position < 4)
            {
                throw new WalCorruptionException(path, position, "learner count runs past the file");
            }

            var learnerCount = BinaryPrimitives.ReadInt32LittleEndian(file[position..]);
            if (learnerCount < 0 || learnerCount > MaxVoters)
            {
                throw new WalCorruptionException(path, position, $"snapshot header with {learnerCount} learners");
            }

            position += 4;
            learners = ReadIds(file, ref position, crcAt, learnerCount, path);
        }

        if (crcAt - position < 8)
        {
            throw new WalCorruptionException(path, position, "data length runs past the file");
        }

        var dataLength = BinaryPrimitives.ReadInt64LittleEndian(file[position..]);
        position += 8;
        if (dataLength != crcAt - position)
        {
            throw new WalCorruptionException(path, position - 8, $"data length {dataLength} does not match the file");
        }

        return new Snapshot(new SnapshotMetadata(index, term, voters, learners), file[position..crcAt].ToArray());
    }

    private static int WriteIds(Span<byte> span, int position, IReadOnlyList<string> ids)
    {
        foreach (var id in ids)
        {
            var written = Encoding.UTF8.GetBytes(id, span[(position + 2)..]);
            BinaryPrimitives.WriteUInt16LittleEndian(span[position..], (ushort)written);
            position += 2 + written;
        }

        return position;
    }

    private static List<string> ReadIds(ReadOnlySpan<byte> file, ref int position, int crcAt, int count, string path)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            if (crcAt - position < 2)
            {
                throw new WalCorruptionException(path, position, "member list runs past the file");
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(file[position..]);
            if (length > WalFormat.MaxIdBytes || crcAt - position - 2 < length)
            {
                throw new WalCorruptionException(path, position, $"member id of {length} bytes");
            }

            ids.Add(Encoding.UTF8.GetString(file.Slice(position + 2, length)));
            position += 2 + length;
        }

        return ids;
    }
}
