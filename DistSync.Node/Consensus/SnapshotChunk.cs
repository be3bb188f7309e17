using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// One piece of a snapshot on its way to another node. An InstallSnapshot travels as a run of these (Raft §7 sends a
/// snapshot in chunks too), so a snapshot of any size fits frames of a bounded size and other messages to the same
/// peer go between its pieces. A chunk names everything needed to put it back in place, so any stream of chunks (the
/// peer stream today; a new member's catch-up or a backup later) is reassembled by <see cref="SnapshotAssembler"/>.
/// <code>
/// chunk = version:u8(1|2) from:id to:id term:i64 commit:i64 index:i64 snapshotTerm:i64 voterCount:u8 id*
///         [learnerCount:u8 id*, version 2 only] totalBytes:i64 offset:i64 checksum:u32 dataLength:i32 data
/// id    = length:u8 UTF-8
/// </code>
/// Version 2 adds the snapshot's learners. A chunk is written as version 1 when there are none, so nodes not yet
/// upgraded keep reading what they read before; both versions are read.
/// Integers are little-endian. <see cref="Checksum"/> is the CRC-32 of the snapshot's bytes from 0 to the end of this
/// chunk, so each chunk checks everything before it and the last one checks the whole snapshot.
/// </summary>
public sealed record SnapshotChunk
{
    public const byte Version = 1;

    /// <summary>The version that carries learners.</summary>
    public const byte VersionWithLearners = 2;

    /// <summary>
    /// Snapshot bytes per chunk. A heartbeat queued behind a chunk waits for its write: 1 MiB takes a few milliseconds
    /// on loopback or a LAN, a small part of a 50 ms tick, while the 40-odd bytes of header per chunk cost nothing.
    /// </summary>
    public const int DefaultChunkBytes = 1024 * 1024;

    private const int MaxIdBytes = 255;
    private const int MaxVoters = 64;
    private const int FixedBytes = 1 + (4 * 8) + 1 + 8 + 8 + 4 + 4; // without the ids

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public required string From { get; init; }

    public required string To { get; init; }

    /// <summary>The sender's term when it sent the snapshot: chunks of an older term are stale.</summary>
    public long Term { get; init; }

    /// <summary>The sender's commit index, as <see cref="Message.Commit"/> of the InstallSnapshot.</summary>
    public long Commit { get; init; }

    public required SnapshotMetadata Metadata { get; init; }

    /// <summary>Length of the whole snapshot's data.</summary>
    public long TotalBytes { get; init; }

    /// <summary>Where <see cref="Data"/> starts in the snapshot's data.</summary>
    public long Offset { get; init; }

    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>CRC-32 of the snapshot's data from 0 to <c>Offset + Data.Length</c>.</summary>
    public uint Checksum { get; init; }

    public bool IsLast => Offset + Data.Length == TotalBytes;

    /// <summary>Bytes <see cref="Encode"/> writes.</summary>
    public int EncodedBytes
    {
        get
        {
            var size = FixedBytes + IdBytes(From) + IdBytes(To) + Data.Length;
            foreach (var voter in Metadata.Voters)
            {
                size += IdBytes(voter);
            }

            if (Metadata.Learners.Count > 0)
            {
                size += 1;
                foreach (var learner in Metadata.Learners)
                {
                    size += IdBytes(learner);
                }
            }

            return size;
        }
    }

    /// <summary>
    /// Cuts an InstallSnapshot into chunks of at most <paramref name="chunkBytes"/> data bytes each, lazily (each
    /// checksum is computed as its chunk is taken). The chunks share the snapshot's array: nothing is copied.
    /// An empty snapshot is one empty chunk.
    /// </summary>
    public static IEnumerable<SnapshotChunk> Split(Message installSnapshot, int chunkBytes = DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(installSnapshot);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        if (installSnapshot.Type != MessageType.InstallSnapshot || installSnapshot.Snapshot is null)
        {
            throw new ArgumentException("Only an InstallSnapshot with its snapshot is cut into chunks.", nameof(installSnapshot));
        }

        return Cut(installSnapshot, installSnapshot.Snapshot, chunkBytes);

        static IEnumerable<SnapshotChunk> Cut(Message message, Snapshot snapshot, int chunkBytes)
        {
            var data = snapshot.Data;
            var crc = new Crc32();
            var offset = 0;
            do
            {
                var piece = data.AsMemory(offset, Math.Min(chunkBytes, data.Length - offset));
                crc.Append(piece.Span);
                yield return new SnapshotChunk
                {
                    From = message.From,
                    To = message.To,
                    Term = message.Term,
                    Commit = message.Commit,
                    Metadata = snapshot.Metadata,
                    TotalBytes = data.Length,
                    Offset = offset,
                    Data = piece,
                    Checksum = crc.GetCurrentHashAsUInt32(),
                };
                offset += piece.Length;
            }
            while (offset < data.Length);
        }
    }

    /// <summary>Writes the chunk into <paramref name="destination"/> (at least <see cref="EncodedBytes"/> long); returns the bytes written.</summary>
    public int Encode(Span<byte> destination)
    {
        if (Metadata.Voters.Count > MaxVoters || Metadata.Learners.Count > MaxVoters)
        {
            throw new ArgumentException($"A snapshot chunk names at most {MaxVoters} voters and {MaxVoters} learners.", nameof(destination));
        }

        var size = EncodedBytes;
        if (destination.Length < size)
        {
            throw new ArgumentException($"The chunk needs {size} bytes; {destination.Length} given.", nameof(destination));
        }

        var position = 0;
        var withLearners = Metadata.Learners.Count > 0;
        destination[position++] = withLearners ? VersionWithLearners : Version;
        position += WriteId(destination[position..], From);
        position += WriteId(destination[position..], To);
        position += WriteLong(destination[position..], Term);
        position += WriteLong(destination[position..], Commit);
        position += WriteLong(destination[position..], Metadata.Index);
        position += WriteLong(destination[position..], Metadata.Term);
        destination[position++] = (byte)Metadata.Voters.Count;
        foreach (var voter in Metadata.Voters)
        {
            position += WriteId(destination[position..], voter);
        }

        if (withLearners)
        {
            destination[position++] = (byte)Metadata.Learners.Count;
            foreach (var learner in Metadata.Learners)
            {
                position += WriteId(destination[position..], learner);
            }
        }

        position += WriteLong(destination[position..], TotalBytes);
        position += WriteLong(destination[position..], Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[position..], Checksum);
        BinaryPrimitives.WriteInt32LittleEndian(destination[(position + 4)..], Data.Length);
        position += 8;
        Data.Span.CopyTo(destination[position..]);
        position += Data.Length;
        return position == size ? position : throw new InvalidOperationException($"Encoded {position} bytes, sized {size}.");
    }

    /// <summary>
    /// Reads one whole chunk; <see cref="Data"/> is a slice of <paramref name="source"/>, not a copy. Throws
    /// <see cref="FormatException"/> for anything truncated, trailing, or out of range.
    /// </summary>
    public static SnapshotChunk Decode(ReadOnlyMemory<byte> source)
    {
        var span = source.Span;
        var position = 0;
        var version = ReadByte(span, ref position);
        if (version is not (Version or VersionWithLearners))
        {
            throw new FormatException($"Unknown snapshot chunk version {version}.");
        }

        var from = ReadId(span, ref position);
        var to = ReadId(span, ref position);
        var term = ReadLong(span, ref position);
        var commit = ReadLong(span, ref position);
        var index = ReadLong(span, ref position);
        var snapshotTerm = ReadLong(span, ref position);
        var voterCount = ReadByte(span, ref position);
        if (index < 1 || voterCount > MaxVoters)
        {
            throw new FormatException($"Snapshot chunk of index {index} with {voterCount} voters.");
        }

        var voters = ReadIds(span, ref position, voterCount);
        string[] learners = [];
        if (version == VersionWithLearners)
        {
            var learnerCount = ReadByte(span, ref position);
            if (learnerCount > MaxVoters)
            {
                throw new FormatException($"Snapshot chunk with {learnerCount} learners.");
            }

            learners = ReadIds(span, ref position, learnerCount);
        }

        var total = ReadLong(span, ref position);
        var offset = ReadLong(span, ref position);
        Need(span, position, 8);
        var checksum = BinaryPrimitives.ReadUInt32LittleEndian(span[position..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(span[(position + 4)..]);
        position += 8;
        if (length < 0 || length != span.Length - position)
        {
            throw new FormatException($"Snapshot chunk data of {length} bytes where {span.Length - position} remain.");
        }

        if (offset > total || length > total - offset || (length == 0 && total > 0))
        {
            throw new FormatException($"Snapshot chunk of {length} bytes at {offset} does not fit a snapshot of {total}.");
        }

        return new SnapshotChunk
        {
            From = from,
            To = to,
            Term = term,
            Commit = commit,
            Metadata = new SnapshotMetadata(index, snapshotTerm, voters, learners),
            TotalBytes = total,
            Offset = offset,
            Data = source[position..],
            Checksum = checksum,
        };
    }

    private static int IdBytes(string id)
    {
        var bytes = StrictUtf8.GetByteCount(id);
        return bytes <= MaxIdBytes ? bytes + 1 : throw new ArgumentException($"Id '{id}' is longer than {MaxIdBytes} bytes.", nameof(id));
    }

    private static int WriteId(Span<byte> destination, string id)
    {
        var written = StrictUtf8.GetBytes(id, destination[1..]);
        destination[0] = (byte)written;
        return 1 + written;
    }

    private static int WriteLong(Span<byte> destination, long value)
    {
        if (value < 0)
        {
            throw new ArgumentException($"Negative value {value} in a snapshot chunk.", nameof(value));
        }

        BinaryPrimitives.WriteInt64LittleEndian(destination, value);
        return 8;
    }

    private static void Need(ReadOnlySpan<byte> span, int position, int bytes)
    {
        if (span.Length - position < bytes)
        {
            throw new FormatException("Snapshot chunk is truncated.");
        }
    }

    private static byte ReadByte(ReadOnlySpan<byte> span, ref int position)
    {
        Need(span, position, 1);
        return span[position++];
    }

    private static long ReadLong(ReadOnlySpan<byte> span, ref int position)
    {
        Need(span, position, 8);
        var value = BinaryPrimitives.ReadInt64LittleEndian(span[position..]);
        position += 8;
        return value >= 0 ? value : throw new FormatException($"Negative value {value} in a snapshot chunk.");
    }

    private static string[] ReadIds(ReadOnlySpan<byte> span, ref int position, int count)
    {
        var ids = new string[count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = ReadId(span, ref position);
        }

        return ids;
    }

    private static string ReadId(ReadOnlySpan<byte> span, ref int position)
    {
        var length = ReadByte(span, ref position);
        Need(span, position, length);
        try
        {
            var id = StrictUtf8.GetString(span.Slice(position, length));
            position += length;
            return id;
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException("Snapshot chunk id is not valid UTF-8.", e);
        }
    }
}
