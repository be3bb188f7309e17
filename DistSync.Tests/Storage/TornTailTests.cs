using DistSync.Node.Storage;
using DistSync.Raft;
using static DistSync.Tests.Storage.StorageData;

namespace DistSync.Tests.Storage;

/// <summary>
/// Crashes simulated by damaging bytes on disk directly, as a killed writer between write and fsync would. These cut
/// and damage the end of the file, which is where the log ends when segments are not preallocated
/// (<see cref="StorageData.Appending"/>); <see cref="PreallocatedSegmentTests"/> covers the zero-filled layout.
/// </summary>
public sealed class TornTailTests : IDisposable
{
    private static readonly HardState FirstState = new(1, "node-1", 2);
    private static readonly HardState SecondState = new(2, "node-2", 4);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Writes two Saves; returns the segment length after the first (where the last frame starts) and after both.</summary>
    private (long FirstEnd, long SecondEnd) WriteTwoFrames(RaftStorageOptions? options = null)
    {
        using var storage = new RaftStorage(_dir.Path, options ?? Appending);
        storage.Load();
        storage.Save(FirstState, Range(1, 3, 1));
        var firstEnd = new FileInfo(_dir.Segment(1)).Length;
        storage.Save(SecondState, Range(4, 5, 2));
        return (firstEnd, new FileInfo(_dir.Segment(1)).Length);
    }

    [Fact]
    public void Load_FileCutAtEveryOffsetInsideLastFrame_RecoversPrefixAndTruncates()
    {
        var (firstEnd, secondEnd) = WriteTwoFrames();
        for (var cut = firstEnd + 1; cut < secondEnd; cut++)
        {
            using var copy = _dir.CopyTo();
            using (var file = File.OpenHandle(copy.Segment(1), FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.SetLength(file, cut);
            }

            var loaded = Reopen(copy.Path, Fast);

            AssertEntries(Range(1, 3, 1), loaded.Entries);
            Assert.Equal(FirstState, loaded.HardState);
            Assert.Equal(cut - firstEnd, loaded.Recovery.TruncatedBytes);
            Assert.Equal(firstEnd, loaded.Recovery.TruncatedAtOffset);
            Assert.Equal(firstEnd, new FileInfo(copy.Segment(1)).Length);
        }
    }

    [Fact]
    public void Load_CleanFile_ReportsNoTruncation()
    {
        var (_, secondEnd) = WriteTwoFrames();

        var loaded = Reopen(_dir.Path);

        Assert.Equal(0, loaded.Recovery.TruncatedBytes);
        Assert.Equal(secondEnd, new FileInfo(_dir.Segment(1)).Length);
        AssertEntries([.. Range(1, 3, 1), .. Range(4, 5, 2)], loaded.Entries);
    }

    [Fact]
    public void Load_BitFlippedAnywhereInLastFrame_TruncatesIt()
    {
        var (firstEnd, secondEnd) = WriteTwoFrames();
        for (var offset = firstEnd; offset < secondEnd; offset++)
        {
            using var copy = _dir.CopyTo();
            FlipBit(copy.Segment(1), offset, bit: (int)(offset % 8));

            var loaded = Reopen(copy.Path, Fast);

            AssertEntries(Range(1, 3, 1), loaded.Entries);
            Assert.Equal(secondEnd - firstEnd, loaded.Recovery.TruncatedBytes);
        }
    }

    [Fact]
    public void Load_AbsurdLengthInLastFrame_TruncatesIt()
    {
        var (firstEnd, _) = WriteTwoFrames();
        var bytes = File.ReadAllBytes(_dir.Segment(1));
        BitConverter.TryWriteBytes(bytes.AsSpan((int)firstEnd + 4), int.MaxValue);
        File.WriteAllBytes(_dir.Segment(1), bytes);

        var loaded = Reopen(_dir.Path);

        AssertEntries(Range(1, 3, 1), loaded.Entries);
        Assert.Equal(firstEnd, new FileInfo(_dir.Segment(1)).Length);
    }

    [Fact]
    public void Load_ZeroFilledTail_IsUnusedSpaceAndTheLogContinuesBeforeIt()
    {
        var (_, secondEnd) = WriteTwoFrames();
        using (var file = File.OpenHandle(_dir.Segment(1), FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, secondEnd + 4096); // size extended, data never written
        }

        using (var storage = new RaftStorage(_dir.Path, Appending))
        {
            var loaded = storage.Load();
            Assert.False(loaded.Recovery.Repaired);
            Assert.Equal(5, loaded.Entries.Count);
            storage.Save(null, Range(6, 6, 2));
        }

        // The new frame went where the frames ended, not after the zeros.
        Assert.True(EndOfFrames(_dir.Segment(1)) > secondEnd);
        Assert.Equal(secondEnd + 4096, new FileInfo(_dir.Segment(1)).Length);
        AssertEntries([.. Range(1, 3, 1), .. Range(4, 6, 2)], Reopen(_dir.Path).Entries);
    }

    [Fact]
    public void Load_BitFlippedInEarlierFrameFollowedByValidFrame_ThrowsNamingFileAndOffset()
    {
        var (firstEnd, _) = WriteTwoFrames();
        FlipBit(_dir.Segment(1), firstEnd - 10);

        using var storage = new RaftStorage(_dir.Path);
        var error = Assert.Throws<WalCorruptionException>(() => storage.Load());

        Assert.Equal(_dir.Segment(1), error.FilePath);
        Assert.True(error.Offset > 32 && error.Offset < firstEnd, $"offset {error.Offset} should point at the first Save's frame");
        Assert.Contains(_dir.Segment(1), error.Message, StringComparison.Ordinal);
        Assert.Contains("not a torn write", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DamageInOlderSegment_ThrowsEvenAtItsEnd()
    {
        var options = new RaftStorageOptions { PreallocateBytes = 0, SyncToDisk = false, SegmentBytes = 4096 };
        using (var storage = new RaftStorage(_dir.Path, options))
        {
            storage.Load();
            for (var i = 1; i <= 200; i++)
            {
                storage.Save(null, [Command(i, 1)]);
            }
        }

        var firstSegment = _dir.Segment(1);
        FlipBit(firstSegment, new FileInfo(firstSegment).Length - 2);

        using var reopened = new RaftStorage(_dir.Path, options);
        var error = Assert.Throws<WalCorruptionException>(() => reopened.Load());
        Assert.Equal(firstSegment, error.FilePath);
    }

    [Fact]
    public void Load_PartialFrameThenFurtherSaves_LogStaysConsistent()
    {
        WriteTwoFrames();
        var segment = _dir.Segment(1);
        var valid = File.ReadAllBytes(segment);
        // A killed writer: half of a would-be third frame reached the disk.
        using (var scratch = new TempDirectory())
        {
            using (var other = new RaftStorage(scratch.Path, Appending))
            {
                other.Load();
                other.Save(null, Range(1, 3, 1));
            }

            var frame = File.ReadAllBytes(scratch.Segment(1))[^40..];
            File.WriteAllBytes(segment, [.. valid, .. frame[..20]]);
        }

        using (var storage = new RaftStorage(_dir.Path))
        {
            var loaded = storage.Load();
            Assert.Equal(20, loaded.Recovery.TruncatedBytes);
            storage.Save(null, Range(6, 7, 2));
        }

        var final = Reopen(_dir.Path);
        AssertEntries([.. Range(1, 3, 1), .. Range(4, 7, 2)], final.Entries);
        Assert.Equal(0, final.Recovery.TruncatedBytes);
    }

    [Fact]
    public void Load_TornHeaderOfNewestSegment_RemovesThatSegment()
    {
        WriteTwoFrames();
        File.WriteAllBytes(_dir.Segment(2), "DSYNCWAL\u0001"u8.ToArray());

        var loaded = Reopen(_dir.Path);

        Assert.Equal(1, loaded.Recovery.TornSegmentsRemoved);
        Assert.False(File.Exists(_dir.Segment(2)));
        Assert.Equal(5, loaded.Entries.Count);
        Assert.Equal(SecondState, loaded.HardState);
    }

    [Fact]
    public void Load_NewestSegmentCutToItsHeader_RemovesItAndRollsAgainLater()
    {
        var options = new RaftStorageOptions { PreallocateBytes = 0, SegmentBytes = 4096 };
        var expected = new List<Entry>();
        using (var storage = new RaftStorage(_dir.Path, options))
        {
            storage.Load();
            for (var i = 1; storage.SegmentCount < 2; i++)
            {
                storage.Save(new HardState(1, null, i - 1), [Command(i, 1)]);
                expected.Add(Command(i, 1));
            }
        }

        // The roll's single write (header + hard state frame) only half reached the disk, and nothing came after it.
        var second = _dir.Segment(2);
        var lastEntry = expected[^1];
        expected.RemoveAt(expected.Count - 1);
        using (var file = File.OpenHandle(second, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, 40);
        }

        using (var storage = new RaftStorage(_dir.Path, options))
        {
            var loaded = storage.Load();
            Assert.Equal(1, loaded.Recovery.TornSegmentsRemoved);
            Assert.False(File.Exists(second));
            AssertEntries(expected, loaded.Entries);
            storage.Save(null, [lastEntry]);
            storage.Save(null, Range(lastEntry.Index + 1, lastEntry.Index + 40, 1));
            Assert.Equal(2, storage.SegmentCount);
        }

        var final = Reopen(_dir.Path, options);
        AssertEntries([.. expected, lastEntry, .. Range(lastEntry.Index + 1, lastEntry.Index + 40, 1)], final.Entries);
    }

    [Fact]
    public void Load_TornLastFrameOfSplitSave_KeepsEarlierFramesButNotTheNewHardState()
    {
        var options = new RaftStorageOptions { PreallocateBytes = 0, MaxFrameBytes = 1024 };
        var entries = Enumerable.Range(1, 60).Select(i => Command(i, 1, new string('s', 50))).ToList();
        using (var storage = new RaftStorage(_dir.Path, options))
        {
            storage.Load();
            storage.Save(new HardState(1, "node-1", 0), entries);
        }

        var segment = _dir.Segment(1);
        using (var file = File.OpenHandle(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, RandomAccess.GetLength(file) - 1);
        }

        var loaded = Reopen(_dir.Path, options);

        // Each frame of a split Save was fsynced before the next: a prefix survives, the hard state (written last) does not.
        Assert.InRange(loaded.Entries.Count, 1, entries.Count - 1);
        AssertEntries(entries[..loaded.Entries.Count], loaded.Entries);
        Assert.Equal(HardState.Initial, loaded.HardState);
        Assert.True(loaded.Recovery.TruncatedBytes > 0);
    }

    [Fact]
    public void Load_MissingMiddleSegment_Throws()
    {
        WriteTwoFrames();
        File.Copy(_dir.Segment(1), _dir.Segment(3));

        using var storage = new RaftStorage(_dir.Path);
        var error = Assert.Throws<WalCorruptionException>(() => storage.Load());
        Assert.Contains("segment 2 is missing", error.Message, StringComparison.Ordinal);
    }
}
