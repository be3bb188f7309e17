using DistSync.Node.Consensus;
using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>The backup file format (<see cref="SnapshotBackup"/>): what is written is read back, and no damage goes unnoticed. No server.</summary>
public sealed class SnapshotBackupTests
{
    private static readonly SnapshotMetadata Metadata = new(1234, 7, ["node1", "node2", "node3"], ["node4"]);

    [Fact]
    public async Task WriteThenRead_ManyChunks_GivesBackTheHeaderAndEveryByte()
    {
        var data = Data(1000);
        var bytes = await WriteAsync(data, chunkBytes: 64);

        var read = SnapshotBackup.Read(new MemoryStream(bytes));

        Assert.Equal(Header(data), read.Header with { Voters = Header(data).Voters, Learners = Header(data).Learners });
        Assert.Equal(["node1", "node2", "node3"], read.Header.Voters);
        Assert.Equal(["node4"], read.Header.Learners);
        Assert.Equal(data, read.Snapshot.Data);
        Assert.Equal(1234, read.Snapshot.Metadata.Index);
        Assert.Equal(7, read.Snapshot.Metadata.Term);
        Assert.Equal(["node1", "node2", "node3"], read.Snapshot.Metadata.Voters);
        Assert.Equal(Convert.ToHexStringLower(bytes.AsSpan(bytes.Length - 32)), read.Sha256);
    }

    [Fact]
    public async Task Verify_AFileOnDisk_ReturnsItsHeader()
    {
        var data = Data(3000);
        var path = Path.Combine(Path.GetTempPath(), $"distsync-backup-{Guid.NewGuid():n}.snapshot");
        try
        {
            await File.WriteAllBytesAsync(path, await WriteAsync(data, chunkBytes: 1024), TestContext.Current.CancellationToken);

            var header = SnapshotBackup.Verify(path);

            Assert.Equal("c1", header.ClusterId);
            Assert.Equal("node2", header.NodeId);
            Assert.Equal(1234, header.Index);
            Assert.Equal(3000, header.TotalBytes);
            Assert.Equal("distsync-c1-1234.snapshot", SnapshotBackup.FileName(header));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Read_AnyOneByteChanged_IsRefused()
    {
        var bytes = await WriteAsync(Data(200), chunkBytes: 64);

        // Every position: header, chunk framing, chunk data, trailer and the hash itself.
        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            var error = Record.Exception(() => SnapshotBackup.Read(new MemoryStream(damaged)));
            Assert.True(error is InvalidDataException, $"a change at byte {i} of {bytes.Length} was not refused ({error?.GetType().Name ?? "read as valid"})");
        }
    }

    [Fact]
    public async Task Read_ADamagedChunk_NamesIt()
    {
        var bytes = await WriteAsync(Data(1000), chunkBytes: 100);
        var damaged = (byte[])bytes.Clone();
        damaged[^98] ^= 0xFF; // in the last chunk's data: 50 bytes before the trailer (16 bytes) and the hash (32)

        var error = Assert.Throws<InvalidDataException>(() => SnapshotBackup.Read(new MemoryStream(damaged)));

        Assert.Contains("checksum does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_CutShortOrLengthened_IsRefused()
    {
        var bytes = await WriteAsync(Data(500), chunkBytes: 64);

        foreach (var length in new[] { 0, 10, 40, bytes.Length / 2, bytes.Length - 33, bytes.Length - 1 })
        {
            Assert.Throws<InvalidDataException>(() => SnapshotBackup.Read(new MemoryStream(bytes[..length])));
        }

        Assert.Throws<InvalidDataException>(() => SnapshotBackup.Read(new MemoryStream([.. bytes, 0])));
    }

    [Fact]
    public async Task WriteThenRead_AnEmptySnapshot_RoundTrips()
    {
        var read = SnapshotBackup.Read(new MemoryStream(await WriteAsync([], chunkBytes: 64)));

        Assert.Empty(read.Snapshot.Data);
        Assert.Equal(1234, read.Header.Index);
    }

    private static SnapshotBackupHeader Header(byte[] data) =>
        new("c1", "node2", Metadata.Index, Metadata.Term, Metadata.Voters, Metadata.Learners, new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero), data.Length);

    private static async Task<byte[]> WriteAsync(byte[] data, int chunkBytes)
    {
        using var stream = new MemoryStream();
        await SnapshotBackup.WriteAsync(stream, Header(data), new Snapshot(Metadata, data), TestContext.Current.CancellationToken, chunkBytes);
        return stream.ToArray();
    }

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(42).NextBytes(data);
        return data;
    }
}
