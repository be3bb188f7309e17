using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using DistSync.Raft;

namespace DistSync.Node.Storage;

/// <summary>
/// One snapshot per file, snap/{index:D20}.snap: "DSYNCSNP", version, reserved, index, term, voter count,
/// voters (u16 length + UTF-8 each), data length (i64), data, then a CRC-32 of everything before it.
/// </summary>
internal static class SnapshotFile
{
    public const string Extension = ".snap";
    public const string TempExtension = ".snap.tmp";
    private const int MaxVoters = 1024;

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
        if (meta.Voters.Count > MaxVoters)
        {
            throw new ArgumentException($"snapshot names {meta.Voters.Count} voters; at most {MaxVoters}", nameof(snapshot));
        }

        var length = 8 + 4 + 4 + 8 + 8 + 4 + 8;
        foreach (var voter in meta.Voters)
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
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], WalFormat.Version);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], meta.Index);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], meta.Term);
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], meta.Voters.Count);
        var position = 36;
        foreach (var voter in meta.Voters)
        {
            var written = Encoding.UTF8.GetBytes(voter, span[(position + 2)..]);
            BinaryPrimitives.WriteUInt16LittleEndian(span[position..], (ushort)written);
            position += 2 + written;
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
        if (version != WalFormat.Version)
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

        var voters = new List<string>(voterCount);
        var position = 36;
        for (var i = 0; i < voterCount; i++)
        {
            if (crcAt - position < 2)
            {
                throw new WalCorruptionException(path, position, "voter list runs past the file");
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(file[position..]);
            if (length > WalFormat.MaxIdBytes || crcAt - position - 2 < length)
            {
                throw new WalCorruptionException(path, position, $"voter id of {length} bytes");
            }

            voters.Add(Encoding.UTF8.GetString(file.Slice(position + 2, length)));
            position += 2 + length;
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

        return new Snapshot(new SnapshotMetadata(index, term, voters), file[position..crcAt].ToArray());
    }
}
