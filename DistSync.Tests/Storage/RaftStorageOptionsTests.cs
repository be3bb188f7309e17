using DistSync.Node.Storage;

namespace DistSync.Tests.Storage;

public sealed class RaftStorageOptionsTests
{
    [Fact]
    public void Defaults_SyncOnAndSixtyFourMiBSegments()
    {
        var options = new RaftStorageOptions();

        Assert.True(options.SyncToDisk);
        Assert.Equal(64L * 1024 * 1024, options.SegmentBytes);
        Assert.Equal(16 * 1024 * 1024, options.MaxFrameBytes);
        Assert.Equal(2, options.SnapshotsToKeep);
        Assert.Equal(4L * 1024 * 1024, options.PreallocateBytes);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2L * 1024 * 1024 * 1024)]
    public void Open_WithOutOfRangePreallocation_Throws(long preallocateBytes)
    {
        var path = Path.Combine(Path.GetTempPath(), "distsync-never-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RaftStorage(path, new RaftStorageOptions { PreallocateBytes = preallocateBytes }));
        Assert.Equal(nameof(RaftStorageOptions.PreallocateBytes), error.ParamName);
    }

    [Theory]
    [InlineData(100, 4096, 2)]
    [InlineData(65536, 100, 2)]
    [InlineData(65536, 4096, 0)]
    public void Open_WithOutOfRangeOptions_ThrowsBeforeTouchingDisk(long segmentBytes, int maxFrameBytes, int snapshotsToKeep)
    {
        var path = Path.Combine(Path.GetTempPath(), "distsync-never-" + Guid.NewGuid().ToString("N"));
        var options = new RaftStorageOptions { SegmentBytes = segmentBytes, MaxFrameBytes = maxFrameBytes, SnapshotsToKeep = snapshotsToKeep };

        Assert.Throws<ArgumentOutOfRangeException>(() => new RaftStorage(path, options));
        Assert.False(Directory.Exists(path));
    }
}
