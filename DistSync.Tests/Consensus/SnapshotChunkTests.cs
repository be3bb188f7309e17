using System.Buffers;
using System.IO.Hashing;
using DistSync.Node.Consensus;
using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>The chunk format: cut, encoded, framed and decoded back exactly; anything cut short or out of range throws.</summary>
public sealed class SnapshotChunkTests
{
    internal static Message Install(int bytes, long term = 3, long index = 40, byte seed = 1) => new()
    {
        Type = MessageType.InstallSnapshot, From = "node1", To = "node2", Term = term, Index = index, LogTerm = 2, Commit = index + 2,
        Snapshot = new Snapshot(new SnapshotMetadata(index, 2, ["node1", "node2", "node3"]), Data(bytes, seed)),
    };

    internal static byte[] Data(int bytes, byte seed)
    {
        var data = new byte[bytes];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)((i * 31) + seed);
        }

        return data;
    }

    [Fact]
    public void Split_SnapshotOfTwoAndAHalfChunks_GivesThreeChunksCoveringItInOrder()
    {
        var install = Install(2_500);

        var chunks = SnapshotChunk.Split(install, chunkBytes: 1_000).ToList();

        Assert.Equal([0L, 1_000L, 2_000L], chunks.Select(c => c.Offset));
        Assert.Equal([1_000, 1_000, 500], chunks.Select(c => c.Data.Length));
        Assert.Equal([false, false, true], chunks.Select(c => c.IsLast));
        Assert.All(chunks, c => Assert.Equal(2_500, c.TotalBytes));
        // Each checksum covers the snapshot from its start to the end of the chunk.
        Assert.Equal(
            chunks.Select(c => Crc32.HashToUInt32(install.Snapshot!.Data.AsSpan(0, (int)(c.Offset + c.Data.Length)))),
            chunks.Select(c => c.Checksum));
        Assert.Equal(install.Snapshot!.Data, chunks.SelectMany(c => c.Data.ToArray()));
    }

    [Fact]
    public void Split_EmptySnapshot_IsOneEmptyLastChunk()
    {
        var chunk = Assert.Single(SnapshotChunk.Split(Install(0)));

        Assert.True(chunk.IsLast);
        Assert.Equal(0, chunk.Data.Length);
        Assert.Equal(Crc32.HashToUInt32([]), chunk.Checksum);
    }

    [Fact]
    public void Split_NotAnInstallSnapshot_Throws()
    {
        Assert.Throws<ArgumentException>(() => SnapshotChunk.Split(new Message { Type = MessageType.Append, From = "node1", To = "node2" }));
    }

    [Fact]
    public void Decode_EncodedChunk_RoundTripsEveryField()
    {
        var chunk = SnapshotChunk.Split(Install(2_500), chunkBytes: 1_000).ElementAt(1);
        var bytes = new byte[chunk.EncodedBytes];

        Assert.Equal(bytes.Length, chunk.Encode(bytes));
        var decoded = SnapshotChunk.Decode(bytes);

        Assert.Equal((chunk.From, chunk.To, chunk.Term, chunk.Commit), (decoded.From, decoded.To, decoded.Term, decoded.Commit));
        Assert.Equal((chunk.Metadata.Index, chunk.Metadata.Term), (decoded.Metadata.Index, decoded.Metadata.Term));
        Assert.Equal(chunk.Metadata.Voters, decoded.Metadata.Voters);
        Assert.Equal((chunk.TotalBytes, chunk.Offset, chunk.Checksum), (decoded.TotalBytes, decoded.Offset, decoded.Checksum));
        Assert.Equal(chunk.Data.ToArray(), decoded.Data.ToArray());
    }

    [Fact]
    public void Decode_EveryTruncation_ThrowsFormatException()
    {
        var chunk = SnapshotChunk.Split(Install(300), chunkBytes: 100).ElementAt(1);
        var bytes = new byte[chunk.EncodedBytes];
        chunk.Encode(bytes);

        for (var length = 0; length < bytes.Length; length++)
        {
            var cut = bytes.AsMemory(0, length);
            Assert.Throws<FormatException>(() => SnapshotChunk.Decode(cut));
        }
    }

    [Fact]
    public void Decode_TrailingBytes_ThrowsFormatException()
    {
        var chunk = SnapshotChunk.Split(Install(300), chunkBytes: 100).First();
        var bytes = new byte[chunk.EncodedBytes + 1];
        chunk.Encode(bytes);

        Assert.Throws<FormatException>(() => SnapshotChunk.Decode(bytes));
    }

    [Fact]
    public void Decode_ChunkRunningPastTheSnapshotsEnd_ThrowsFormatException()
    {
        // 100 bytes at offset 250 of a 300-byte snapshot: a chunk no sender could cut.
        var chunk = SnapshotChunk.Split(Install(300), chunkBytes: 100).First() with { Offset = 250 };
        var bytes = new byte[chunk.EncodedBytes];
        chunk.Encode(bytes);

        Assert.Throws<FormatException>(() => SnapshotChunk.Decode(bytes));
    }

    [Fact]
    public void DecodeChunk_FramedChunk_ComesOutOfTheStreamWholeAndIsNoBatch()
    {
        var chunk = SnapshotChunk.Split(Install(3_000), chunkBytes: 1_000).Last();
        var frameBytes = new byte[RaftStreamFrame.ChunkFrameBytes(chunk)];
        Assert.Equal(frameBytes.Length, RaftStreamFrame.EncodeChunk(chunk, frameBytes));
        var stream = new ReadOnlySequence<byte>([.. frameBytes, .. RaftStreamFrame.Encode([], null)]);

        Assert.True(RaftStreamFrame.TryRead(ref stream, out var frame));
        Assert.True(RaftStreamFrame.IsSnapshotChunk(frame));
        var decoded = RaftStreamFrame.DecodeChunk(frame.ToArray());
        Assert.Equal((2_000L, chunk.Checksum), (decoded.Offset, decoded.Checksum));
        Assert.Throws<FormatException>(() => RaftStreamFrame.Decode(frame.ToArray()));

        Assert.True(RaftStreamFrame.TryRead(ref stream, out var next));
        Assert.False(RaftStreamFrame.IsSnapshotChunk(next));
    }

    /// <summary>The only chunk of <see cref="ConfigChangeCodecTests.Install"/> (no learners) as written before learners existed.</summary>
    private const string ChunkBeforeLearners =
        "01056E6F646531056E6F646532030000000000000066000000000000006400000000000000020000000000000003056E6F646531056E6F646532"
        + "056E6F64653304000000000000000000000000000000DCF27DF40400000009080706";

    private static byte[] EncodeOnly(Message install)
    {
        var chunk = Assert.Single(SnapshotChunk.Split(install));
        var bytes = new byte[chunk.EncodedBytes];
        chunk.Encode(bytes);
        return bytes;
    }

    [Fact]
    public void Encode_NoLearners_Version1AsBefore()
    {
        Assert.Equal(ChunkBeforeLearners, Convert.ToHexString(EncodeOnly(ConfigChangeCodecTests.Install([]))));
    }

    [Fact]
    public void Decode_Version1Chunk_ReadsWithoutLearners()
    {
        var decoded = SnapshotChunk.Decode(Convert.FromHexString(ChunkBeforeLearners));

        Assert.Equal(["node1", "node2", "node3"], decoded.Metadata.Voters);
        Assert.Empty(decoded.Metadata.Learners);
        Assert.Equal([9, 8, 7, 6], decoded.Data.ToArray());
    }

    [Fact]
    public void Decode_ChunkWithLearners_Version2RoundTrips()
    {
        var bytes = EncodeOnly(ConfigChangeCodecTests.Install(["node4"]));

        var decoded = SnapshotChunk.Decode(bytes);

        Assert.Equal(SnapshotChunk.VersionWithLearners, bytes[0]);
        Assert.Equal(["node1", "node2", "node3"], decoded.Metadata.Voters);
        Assert.Equal(["node4"], decoded.Metadata.Learners);
        Assert.Equal([9, 8, 7, 6], decoded.Data.ToArray());
        for (var length = 0; length < bytes.Length - 4; length++)
        {
            Assert.Throws<FormatException>(() => SnapshotChunk.Decode(bytes.AsMemory(0, length)));
        }
    }
}
