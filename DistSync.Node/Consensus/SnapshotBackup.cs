using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text.Json;
using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// The backup file <c>GET /admin/snapshot</c> writes and a restore reads: a self-describing header, then the snapshot in
/// the very <see cref="SnapshotChunk"/>s InstallSnapshot streams (each with the running CRC-32 of the data up to its end),
/// then a trailer with the SHA-256 of everything before it.
/// <code>
/// file    = "DSYNCBAK" version:u16 headerLength:u32 header(JSON, UTF-8) headerCrc:u32   (CRC-32 of all before it)
///           { frameLength:u32 chunk }*                                                   (chunks in offset order)
///           0:u32 "DSYNCEND" chunkCount:u32 sha256:32                                    (of every byte before sha256)
/// </code>
/// Integers are little-endian. The chunks name the backup's node as sender and <see cref="ChunkRecipient"/> as recipient;
/// their term is the snapshot's term. The CRC-32s find a damaged chunk where it is; the SHA-256 covers the whole file,
/// header and framing included, so no byte can change unnoticed.
/// </summary>
public static class SnapshotBackup
{
    public const ushort FormatVersion = 1;

    /// <summary>The recipient the chunks of a backup name.</summary>
    public const string ChunkRecipient = "backup";

    public const string ContentType = "application/octet-stream";

    private const int MaxHeaderBytes = 64 * 1024;

    /// <summary>A chunk's data plus its ids and numbers: anything larger is not a chunk this code wrote.</summary>
    private const int MaxFrameBytes = SnapshotChunk.DefaultChunkBytes + (64 * 1024);

    private static readonly byte[] Magic = "DSYNCBAK"u8.ToArray();
    private static readonly byte[] TrailerMagic = "DSYNCEND"u8.ToArray();
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The download's name: <c>distsync-&lt;cluster id&gt;-&lt;index&gt;.snapshot</c>.</summary>
    public static string FileName(SnapshotBackupHeader header) => $"distsync-{header.ClusterId ?? "cluster"}-{header.Index}.snapshot";

    /// <summary>Writes <paramref name="snapshot"/> as a backup file, chunk by chunk, to <paramref name="destination"/>.</summary>
    public static async Task WriteAsync(Stream destination, SnapshotBackupHeader header, Snapshot snapshot, CancellationToken cancellationToken,
        int chunkBytes = SnapshotChunk.DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (header.Index != snapshot.Metadata.Index || header.Term != snapshot.Metadata.Term || header.TotalBytes != snapshot.Data.Length)
        {
            throw new ArgumentException("The header does not describe the snapshot.", nameof(header));
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        async Task WriteAsync(ReadOnlyMemory<byte> bytes)
        {
            sha.AppendData(bytes.Span);
            await destination.WriteAsync(bytes, cancellationToken);
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        var start = new byte[Magic.Length + 2 + 4 + json.Length + 4];
        Magic.CopyTo(start, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(start.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(start.AsSpan(10), (uint)json.Length);
        json.CopyTo(start, 14);
        BinaryPrimitives.WriteUInt32LittleEndian(start.AsSpan(14 + json.Length), Crc32.HashToUInt32(start.AsSpan(0, 14 + json.Length)));
        await WriteAsync(start);

        var message = new Message
        {
            Type = MessageType.InstallSnapshot,
            From = header.NodeId,
            To = ChunkRecipient,
            Term = snapshot.Metadata.Term,
            Commit = snapshot.Metadata.Index,
            Snapshot = snapshot,
        };
        var chunks = 0u;
        byte[]? frame = null;
        foreach (var chunk in SnapshotChunk.Split(message, chunkBytes))
        {
            var size = 4 + chunk.EncodedBytes;
            if (frame is null || frame.Length < size)
            {
                frame = new byte[size];
            }

            BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)chunk.EncodedBytes);
            chunk.Encode(frame.AsSpan(4));
            await WriteAsync(frame.AsMemory(0, size));
            chunks++;
        }

        var trailer = new byte[4 + TrailerMagic.Length + 4];
        TrailerMagic.CopyTo(trailer, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(12), chunks);
        await WriteAsync(trailer);
        await destination.WriteAsync(sha.GetHashAndReset(), cancellationToken);
        await destination.FlushAsync(cancellationToken);
    }

    /// <summary>Checks the file at <paramref name="path"/> end to end and returns its header; throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static SnapshotBackupHeader Verify(string path) => Read(path).Header;

    public static SnapshotBackupFile Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(file);
    }

    /// <summary>Reads and checks a whole backup (header checksum, every chunk's checksum, the trailer's SHA-256).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a complete, intact backup of a version this code reads.</exception>
    public static SnapshotBackupFile Read(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var start = ReadExactly(source, sha, 14, "header");
        if (!start.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException("Not a DistSync snapshot file: it does not start with DSYNCBAK.");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(start.AsSpan(8));
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"Snapshot file format version {version}; this node reads version {FormatVersion}.");
        }

        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(start.AsSpan(10));
        if (headerLength is 0 or > MaxHeaderBytes)
        {
            throw new InvalidDataException($"Snapshot file header of {headerLength} bytes.");
        }

        var json = ReadExactly(source, sha, (int)headerLength, "header");
        var crc = new Crc32();
        crc.Append(start);
        crc.Append(json);
        if (BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(source, sha, 4, "header checksum")) != crc.GetCurrentHashAsUInt32())
        {
            throw new InvalidDataException("The snapshot file's header is damaged (checksum mismatch).");
        }

        SnapshotBackupHeader header;
        try
        {
            header = JsonSerializer.Deserialize<SnapshotBackupHeader>(json, Json) ?? throw new InvalidDataException("The snapshot file's header is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The snapshot file's header is not valid: {ex.Message}", ex);
        }

        if (header.Index < 1 || header.TotalBytes < 0 || header.TotalBytes > Array.MaxLength || header.Voters is null)
        {
            throw new InvalidDataException($"The snapshot file's header describes no snapshot (index {header.Index}, {header.TotalBytes} bytes).");
        }

        var assembler = new SnapshotAssembler(header.TotalBytes);
        Message? complete = null;
        var chunks = 0u;
        while (true)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(source, sha, 4, "chunk"));
            if (length == 0)
            {
                break;
            }

            if (length > MaxFrameBytes || complete is not null)
            {
                throw new InvalidDataException(complete is not null
                    ? $"The snapshot file has a chunk after the last one (at chunk {chunks + 1})."
                    : $"Chunk {chunks + 1} of {length} bytes is larger than any chunk a backup holds.");
            }

            SnapshotChunk chunk;
            try
            {
                chunk = SnapshotChunk.Decode(ReadExactly(source, sha, (int)length, "chunk"));
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"Chunk {chunks + 1} is damaged: {ex.Message}", ex);
            }

            if (chunk.Metadata.Index != header.Index || chunk.Metadata.Term != header.Term || chunk.TotalBytes != header.TotalBytes)
            {
                throw new InvalidDataException($"Chunk {chunks + 1} belongs to snapshot {chunk.Metadata.Index} (term {chunk.Metadata.Term}), not to the header's {header.Index}.");
            }

            var outcome = assembler.Add(chunk, out complete);
            chunks++;
            // Only the first chunk starts at 0; each next one continues exactly where the data stands.
            var inPlace = (chunks == 1) == (chunk.Offset == 0)
                && outcome is SnapshotChunkOutcome.Started or SnapshotChunkOutcome.Continued or SnapshotChunkOutcome.Completed;
            if (!inPlace)
            {
                throw new InvalidDataException(outcome == SnapshotChunkOutcome.ChecksumMismatch
                    ? $"Chunk {chunks} (bytes {chunk.Offset} to {chunk.Offset + chunk.Data.Length}) is damaged: its checksum does not match."
                    : $"Chunk {chunks} at offset {chunk.Offset} is out of place ({outcome}).");
            }
        }

        var trailer = ReadExactly(source, sha, TrailerMagic.Length + 4, "trailer");
        if (complete?.Snapshot is not { } snapshot)
        {
            throw new InvalidDataException($"The snapshot file ends after {chunks} chunks, before the snapshot is complete.");
        }

        if (!trailer.AsSpan(0, TrailerMagic.Length).SequenceEqual(TrailerMagic) || BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(8)) != chunks)
        {
            throw new InvalidDataException("The snapshot file's trailer is damaged.");
        }

        var expected = sha.GetHashAndReset();
        var stored = new byte[expected.Length];
        source.ReadAtLeast(stored, stored.Length, throwOnEndOfStream: false);
        if (!CryptographicOperations.FixedTimeEquals(expected, stored))
        {
            throw new InvalidDataException("The snapshot file's SHA-256 does not match its contents: it is damaged or cut short.");
        }

        if (source.ReadByte() >= 0)
        {
            throw new InvalidDataException("The snapshot file has bytes after its trailer.");
        }

        var metadata = new SnapshotMetadata(header.Index, header.Term, header.Voters, header.Learners ?? []);
        return new SnapshotBackupFile(header, new Snapshot(metadata, snapshot.Data), Convert.ToHexStringLower(expected));
    }

    private static byte[] ReadExactly(Stream source, IncrementalHash sha, int count, string what)
    {
        var bytes = new byte[count];
        if (source.ReadAtLeast(bytes, count, throwOnEndOfStream: false) < count)
        {
            throw new InvalidDataException($"The snapshot file ends in its {what}: it was cut short.");
        }

        sha.AppendData(bytes);
        return bytes;
    }
}

/// <summary>What a backup file says about itself: where the snapshot came from, and what it covers.</summary>
public sealed record SnapshotBackupHeader(
    string? ClusterId,
    string NodeId,
    long Index,
    long Term,
    IReadOnlyList<string> Voters,
    IReadOnlyList<string> Learners,
    DateTimeOffset CreatedAt,
    long TotalBytes);

/// <summary>A backup read and checked: its header, the snapshot, and the file's SHA-256 (lower-case hex).</summary>
public sealed record SnapshotBackupFile(SnapshotBackupHeader Header, Snapshot Snapshot, string Sha256);
