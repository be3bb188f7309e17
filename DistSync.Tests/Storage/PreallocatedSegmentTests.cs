using DistSync.Node.Storage;
using DistSync.Raft;
using static DistSync.Tests.Storage.StorageData;

namespace DistSync.Tests.Storage;

/// <summary>
/// The active segment is zero-filled ahead of its frames (<see cref="RaftStorageOptions.PreallocateBytes"/>), so
/// the file's end is no longer the log's end: loading must stop at the zeros without calling them damage, appends
/// must go where the frames end, and only the last segment may keep zeros.
/// </summary>
public sealed class PreallocatedSegmentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static RaftStorageOptions Options(long preallocate, long segmentBytes = 64L * 1024 * 1024) =>
        new() { SyncToDisk = false, PreallocateBytes = preallocate, SegmentBytes = segmentBytes };

    /// <summary>Opens the log, makes each Save (one frame each), closes it.</summary>
    private void Write(RaftStorageOptions options, params IEnumerable<List<Entry>> saves)
    {
        using var storage = new RaftStorage(_dir.Path, options);
        storage.Load();
        foreach (var entries in saves)
        {
            storage.Save(null, entries);
        }
    }

    /// <summary>Entries 1..<paramref name="count"/>, one Save each.</summary>
    private void SaveOneByOne(RaftStorageOptions options, int count) =>
        Write(options, Enumerable.Range(1, count).Select(i => Range(i, i, 1)));

    private static bool AllZeroFrom(string path, long offset) =>
        File.ReadAllBytes(path).AsSpan((int)offset).IndexOfAnyExcept((byte)0) < 0;

    [Fact]
    public void Save_FillsZerosAheadOfTheFrames_ThatLoadTreatsAsUnusedSpace()
    {
        Write(Options(64 * 1024), Range(1, 10, 1));

        var segment = _dir.Segment(1);
        var end = EndOfFrames(segment);
        Assert.True(new FileInfo(segment).Length >= 64 * 1024, $"file is {new FileInfo(segment).Length} bytes");
        Assert.True(AllZeroFrom(segment, end));

        var loaded = Reopen(_dir.Path, Options(64 * 1024));
        Assert.False(loaded.Recovery.Repaired);
        AssertEntries(Range(1, 10, 1), loaded.Entries);
    }

    [Fact]
    public void Save_AfterReopen_WritesWhereTheFramesEnd_NotAtTheEndOfTheFile()
    {
        Write(Options(64 * 1024), Range(1, 10, 1));

        var segment = _dir.Segment(1);
        var (endBefore, sizeBefore) = (EndOfFrames(segment), new FileInfo(segment).Length);
        Write(Options(64 * 1024), Range(11, 12, 1));

        Assert.True(EndOfFrames(segment) > endBefore);
        Assert.Equal(sizeBefore, new FileInfo(segment).Length);
        AssertEntries(Range(1, 12, 1), Reopen(_dir.Path).Entries);
    }

    [Fact]
    public void Save_PastTheZeroFilledSpace_FillsMore()
    {
        SaveOneByOne(Options(4096), 300);

        var segment = _dir.Segment(1);
        var end = EndOfFrames(segment);
        Assert.True(end > 3 * 4096, $"frames end at {end}: the test needs several extensions");
        Assert.InRange(new FileInfo(segment).Length, end, end + 4096);
        AssertEntries(Range(1, 300, 1), Reopen(_dir.Path).Entries);
    }

    [Fact]
    public void Roll_CutsTheZerosOffTheSegmentItLeaves()
    {
        SaveOneByOne(Options(1024, segmentBytes: 4096), 200);

        var segments = Directory.GetFiles(_dir.Wal).Order(StringComparer.Ordinal).ToList();
        Assert.True(segments.Count >= 3, $"{segments.Count} segments");
        foreach (var older in segments[..^1])
        {
            Assert.Equal(EndOfFrames(older), new FileInfo(older).Length);
        }

        var loaded = Reopen(_dir.Path);
        Assert.False(loaded.Recovery.Repaired);
        AssertEntries(Range(1, 200, 1), loaded.Entries);
    }

    [Fact]
    public void Load_ZerosAtTheEndOfAnOlderSegment_AreDamage()
    {
        SaveOneByOne(Options(1024, segmentBytes: 4096), 200);

        // Only the active segment may end in zeros; anywhere else they mean lost data.
        var first = _dir.Segment(1);
        using (var file = File.OpenHandle(first, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, RandomAccess.GetLength(file) + 100);
        }

        using var reopened = new RaftStorage(_dir.Path, Options(1024, segmentBytes: 4096));
        var error = Assert.Throws<WalCorruptionException>(() => reopened.Load());
        Assert.Equal(first, error.FilePath);
    }

    [Fact]
    public void Load_TornFrameInTheZeroFilledSpace_IsCutOff_AndTheLogGoesOn()
    {
        Write(Options(64 * 1024), Range(1, 5, 1));

        // A killed writer: the start of a frame reached the disk, inside the zeros.
        var segment = _dir.Segment(1);
        var end = EndOfFrames(segment);
        var size = new FileInfo(segment).Length;
        using (var file = File.OpenHandle(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(file, Enumerable.Repeat((byte)0xA5, 20).ToArray(), end);
        }

        using (var storage = new RaftStorage(_dir.Path, Options(64 * 1024)))
        {
            var loaded = storage.Load();
            Assert.Equal(size - end, loaded.Recovery.TruncatedBytes);
            Assert.Equal(end, loaded.Recovery.TruncatedAtOffset);
            Assert.Contains($"torn tail of 20 bytes at offset {end}", Assert.Single(loaded.Recovery.Notes), StringComparison.Ordinal);
            AssertEntries(Range(1, 5, 1), loaded.Entries);
            storage.Save(null, Range(6, 8, 1));
        }

        var final = Reopen(_dir.Path);
        Assert.False(final.Recovery.Repaired);
        AssertEntries(Range(1, 8, 1), final.Entries);
    }

    [Fact]
    public void PreallocateZero_KeepsTheFileExactlyAsLongAsItsFrames()
    {
        Write(Appending, Range(1, 10, 1));

        Assert.Equal(EndOfFrames(_dir.Segment(1)), new FileInfo(_dir.Segment(1)).Length);
    }
}
