using DistSync.Node.Storage;
using DistSync.Raft;
using static DistSync.Tests.Storage.StorageData;

namespace DistSync.Tests.Storage;

public sealed class SnapshotStorageTests : IDisposable
{
    private static readonly RaftStorageOptions SmallSegments = new() { SegmentBytes = 4096 };

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Snapshot SnapshotAt(long index, long term, byte fill = 7) =>
        new(new SnapshotMetadata(index, term, ["node-1", "node-2", "node-3"]), Enumerable.Repeat(fill, 300).ToArray());

    [Fact]
    public void SaveSnapshot_MatchingLog_LoadReturnsSnapshotAndLaterEntries()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(new HardState(2, "node-1", 15), [.. Range(1, 10, 1), .. Range(11, 20, 2)]);
            storage.SaveSnapshot(SnapshotAt(12, 2));
            storage.Save(null, Range(21, 22, 2));
        }

        var loaded = Reopen(_dir.Path);

        Assert.NotNull(loaded.Snapshot);
        Assert.Equal(12, loaded.Snapshot.Metadata.Index);
        Assert.Equal(2, loaded.Snapshot.Metadata.Term);
        Assert.Equal(["node-1", "node-2", "node-3"], loaded.Snapshot.Metadata.Voters);
        Assert.Equal(SnapshotAt(12, 2).Data, loaded.Snapshot.Data);
        AssertEntries([.. Range(13, 20, 2), .. Range(21, 22, 2)], loaded.Entries);
        Assert.Equal(new HardState(2, "node-1", 15), loaded.HardState);
    }

    [Fact]
    public async Task WriteSnapshotFile_FromAnotherThreadWhileTheLogGrows_ThenRecorded_LoadKeepsEveryLaterEntry()
    {
        // The host writes its snapshot's file beside the WAL writer, which appends meanwhile; the marker comes after.
        using (var storage = new RaftStorage(_dir.Path, SmallSegments))
        {
            storage.Load();
            storage.Save(new HardState(2, "node-1", 30), [.. Range(1, 10, 1), .. Range(11, 30, 2)]);
            var file = Task.Run(() => storage.WriteSnapshotFile(SnapshotAt(25, 2)), TestContext.Current.CancellationToken);
            for (var i = 31; i <= 60; i++)
            {
                storage.Save(null, [Command(i, 2)]);
            }

            await file;
            Assert.True(storage.RecordSnapshot(SnapshotAt(25, 2).Metadata));
            Assert.Equal(25, storage.SnapshotIndex);
            storage.Save(null, Range(61, 62, 2));
        }

        var loaded = Reopen(_dir.Path);

        Assert.Equal(25, loaded.Snapshot!.Metadata.Index);
        Assert.Equal(SnapshotAt(25, 2).Data, loaded.Snapshot.Data);
        AssertEntries(Range(26, 62, 2), loaded.Entries);
        Assert.False(loaded.Recovery.SnapshotAheadOfLog);
    }

    [Fact]
    public void RecordSnapshot_ANewerSnapshotWasSavedMeanwhile_ChangesNothingAndReturnsFalse()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 20, 1));
            storage.WriteSnapshotFile(SnapshotAt(10, 1));
            storage.SaveSnapshot(SnapshotAt(15, 1)); // one from the leader, saved whole in the meantime

            Assert.False(storage.RecordSnapshot(SnapshotAt(10, 1).Metadata));
            Assert.Equal(15, storage.SnapshotIndex);
        }

        var loaded = Reopen(_dir.Path);
        Assert.Equal(15, loaded.Snapshot!.Metadata.Index);
        AssertEntries(Range(16, 20, 1), loaded.Entries);
    }

    [Fact]
    public void RecordSnapshot_WithoutItsFile_Throws()
    {
        using var storage = new RaftStorage(_dir.Path);
        storage.Load();
        storage.Save(null, Range(1, 20, 1));

        Assert.Throws<InvalidOperationException>(() => storage.RecordSnapshot(SnapshotAt(10, 1).Metadata));
        Assert.Equal(0, storage.SnapshotIndex);
    }

    [Fact]
    public void WriteSnapshotFile_NeverRecorded_LoadStillStartsFromIt()
    {
        // A crash between the file and its marker: the file holds committed state, so load starts from it.
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 20, 1));
            storage.WriteSnapshotFile(SnapshotAt(10, 1));
        }

        var loaded = Reopen(_dir.Path);
        Assert.Equal(10, loaded.Snapshot!.Metadata.Index);
        Assert.True(loaded.Recovery.SnapshotAheadOfLog);
        AssertEntries(Range(11, 20, 1), loaded.Entries);
    }

    [Fact]
    public void SaveSnapshot_CoveringOldSegments_DeletesThemAndReloadStillWorks()
    {
        var expected = new List<Entry>();
        using (var storage = new RaftStorage(_dir.Path, SmallSegments))
        {
            storage.Load();
            for (var i = 1; i <= 300; i++)
            {
                storage.Save(null, [Command(i, 1)]);
            }

            var before = storage.SegmentCount;
            storage.SaveSnapshot(SnapshotAt(250, 1));

            Assert.True(before > 3, $"expected several segments, had {before}");
            Assert.True(storage.SegmentCount < before, "covered segments must be deleted");
            Assert.Equal(storage.SegmentCount, Directory.GetFiles(_dir.Wal).Length);
            storage.Save(null, Range(301, 305, 1));
        }

        var loaded = Reopen(_dir.Path, SmallSegments);

        Assert.Equal(250, loaded.Snapshot!.Metadata.Index);
        AssertEntries(Range(251, 305, 1), loaded.Entries);
    }

    [Fact]
    public void CompactTo_AfterLaterRolls_KeepsNewestMarkerSegmentAndEntriesAfterSnapshot()
    {
        using (var storage = new RaftStorage(_dir.Path, SmallSegments))
        {
            storage.Load();
            storage.Save(null, [.. Enumerable.Range(1, 100).Select(i => Command(i, 1, new string('e', 40)))]);
            storage.SaveSnapshot(SnapshotAt(100, 1)); // the marker rolls into segment 2; segment 1 goes

            Assert.False(File.Exists(_dir.Segment(1)));
            for (var i = 101; i <= 300; i++)
            {
                storage.Save(new HardState(1, null, i - 1), [Command(i, 1)]);
            }

            Assert.True(storage.SegmentCount > 2, $"expected rolls, have {storage.SegmentCount} segments");
            Assert.Equal(0, storage.CompactTo(100));
            Assert.True(File.Exists(_dir.Segment(2)), "the segment with the newest snapshot marker must stay");
        }

        var loaded = Reopen(_dir.Path, SmallSegments);

        Assert.Equal(100, loaded.Snapshot!.Metadata.Index);
        Assert.False(loaded.Recovery.SnapshotAheadOfLog);
        AssertEntries(Range(101, 300, 1), loaded.Entries);
        Assert.Equal(299, loaded.HardState.Commit);
    }

    [Fact]
    public void CompactTo_OlderSegmentsBeforeNewestMarker_DeletesThem()
    {
        using var storage = new RaftStorage(_dir.Path, SmallSegments);
        storage.Load();
        for (var i = 1; i <= 300; i++)
        {
            storage.Save(null, [Command(i, 1)]);
        }

        var before = storage.SegmentCount;
        storage.SaveSnapshot(SnapshotAt(120, 1));
        var afterSnapshot = storage.SegmentCount;

        Assert.InRange(afterSnapshot, 2, before - 1);
        Assert.Equal(0, storage.CompactTo(120)); // nothing more is covered
    }

    [Fact]
    public void CompactTo_BeyondNewestSnapshot_ThrowsInvalidOperation()
    {
        using var storage = new RaftStorage(_dir.Path);
        storage.Load();
        storage.Save(null, Range(1, 10, 1));
        storage.SaveSnapshot(SnapshotAt(5, 1));

        Assert.Throws<InvalidOperationException>(() => storage.CompactTo(6));
    }

    [Fact]
    public void SaveSnapshot_ConflictingWithLog_ReplacesWholeLog()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(new HardState(1, null, 3), Range(1, 10, 1));
            storage.SaveSnapshot(SnapshotAt(8, 2)); // the log's entry 8 has term 1: Raft §7 discards the log
            Assert.Equal(8, storage.LastIndex);
        }

        var afterCrash = Reopen(_dir.Path);
        Assert.Empty(afterCrash.Entries);

        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(new HardState(2, null, 8), Range(9, 9, 2));
        }

        AssertEntries(Range(9, 9, 2), Reopen(_dir.Path).Entries);
    }

    [Fact]
    public void SaveSnapshot_BeyondLastIndex_NextEntriesFollowSnapshot()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 5, 1));
            storage.SaveSnapshot(SnapshotAt(100, 3));
            Assert.Throws<InvalidOperationException>(() => storage.Save(null, Range(6, 6, 3)));
            storage.Save(null, Range(101, 102, 3));
        }

        var loaded = Reopen(_dir.Path);

        Assert.Equal(100, loaded.Snapshot!.Metadata.Index);
        AssertEntries(Range(101, 102, 3), loaded.Entries);
    }

    [Fact]
    public void Load_LeftoverTempFile_IsRemovedAndIgnored()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 10, 1));
            storage.SaveSnapshot(SnapshotAt(4, 1));
        }

        var temp = Path.Combine(_dir.Snap, $"{9:D20}.snap.tmp");
        File.WriteAllBytes(temp, [1, 2, 3]); // a crash mid SaveSnapshot(9): never renamed

        var loaded = Reopen(_dir.Path);

        Assert.Equal(1, loaded.Recovery.TempFilesRemoved);
        Assert.False(File.Exists(temp));
        Assert.Equal(4, loaded.Snapshot!.Metadata.Index);
        AssertEntries(Range(5, 10, 1), loaded.Entries);
    }

    [Fact]
    public void Load_SnapshotRenamedButMarkerNeverWritten_AppliesSnapshot()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 10, 1));
        }

        // Crash after the rename and the directory fsync, before the WAL marker.
        var snapshot = SnapshotAt(6, 1);
        File.WriteAllBytes(Path.Combine(_dir.Snap, $"{6:D20}.snap"), SnapshotFile.Encode(snapshot));

        var loaded = Reopen(_dir.Path);

        Assert.True(loaded.Recovery.SnapshotAheadOfLog);
        Assert.Equal(6, loaded.Snapshot!.Metadata.Index);
        AssertEntries(Range(7, 10, 1), loaded.Entries);
    }

    [Fact]
    public void SaveSnapshot_Several_KeepsNewestTwoFiles()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 40, 1));
            foreach (var index in new long[] { 10, 20, 30 })
            {
                storage.SaveSnapshot(SnapshotAt(index, 1, (byte)index));
            }
        }

        var names = Directory.GetFiles(_dir.Snap).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal([$"{20:D20}.snap", $"{30:D20}.snap"], names);
        var loaded = Reopen(_dir.Path);
        Assert.Equal(30, loaded.Snapshot!.Metadata.Index);
        Assert.All(loaded.Snapshot.Data, b => Assert.Equal(30, b));
    }

    [Fact]
    public void Load_DamagedNewestSnapshot_ThrowsRatherThanFallingBack()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 20, 1));
            storage.SaveSnapshot(SnapshotAt(10, 1));
            storage.SaveSnapshot(SnapshotAt(15, 1));
        }

        var newest = Path.Combine(_dir.Snap, $"{15:D20}.snap");
        FlipBit(newest, 100);

        using var reopened = new RaftStorage(_dir.Path);
        var error = Assert.Throws<WalCorruptionException>(() => reopened.Load());
        Assert.Equal(newest, error.FilePath);
    }

    [Fact]
    public void Load_SnapshotFilesDeletedButWalMarkerRemains_Throws()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(null, Range(1, 20, 1));
            storage.SaveSnapshot(SnapshotAt(10, 1));
        }

        foreach (var file in Directory.GetFiles(_dir.Snap))
        {
            File.Delete(file);
        }

        using var reopened = new RaftStorage(_dir.Path);
        var error = Assert.Throws<WalCorruptionException>(() => reopened.Load());
        Assert.Contains("snapshot at index 10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveSnapshot_NotNewerThanCurrent_ThrowsInvalidOperation()
    {
        using var storage = new RaftStorage(_dir.Path);
        storage.Load();
        storage.Save(null, Range(1, 20, 1));
        storage.SaveSnapshot(SnapshotAt(10, 1));

        Assert.Throws<InvalidOperationException>(() => storage.SaveSnapshot(SnapshotAt(10, 1)));
    }

    /// <summary>A snapshot file (index 100, term 2, voters node1..node3, data 9 8 7 6) as written before learners existed.</summary>
    private const string FileBeforeLearners =
        "4453594E43534E500100000000000000640000000000000002000000000000000300000005006E6F64653105006E6F64653205006E6F646533"
        + "04000000000000000908070612A8F19F";

    [Fact]
    public void Decode_FileWrittenBeforeLearners_ReadsWithoutLearners()
    {
        var snapshot = SnapshotFile.Decode(Convert.FromHexString(FileBeforeLearners), "old.snap");

        Assert.Equal((100L, 2L), (snapshot.Metadata.Index, snapshot.Metadata.Term));
        Assert.Equal(["node1", "node2", "node3"], snapshot.Metadata.Voters);
        Assert.Empty(snapshot.Metadata.Learners);
        Assert.Equal([9, 8, 7, 6], snapshot.Data);
    }

    [Fact]
    public void Encode_NoLearners_SameBytesAsBeforeLearners()
    {
        var snapshot = new Snapshot(new SnapshotMetadata(100, 2, ["node1", "node2", "node3"]), [9, 8, 7, 6]);

        Assert.Equal(FileBeforeLearners, Convert.ToHexString(SnapshotFile.Encode(snapshot)));
    }

    [Fact]
    public void SaveSnapshot_WithLearners_LoadReturnsVotersAndLearners()
    {
        var snapshot = new Snapshot(new SnapshotMetadata(12, 2, ["node-1", "node-2"], ["node-3", "node-4"]), [1, 2, 3]);
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(new HardState(2, "node-1", 15), [.. Range(1, 10, 1), .. Range(11, 20, 2)]);
            storage.SaveSnapshot(snapshot);
        }

        var loaded = Reopen(_dir.Path);

        Assert.Equal(SnapshotFile.VersionWithLearners, BitConverter.ToInt32(File.ReadAllBytes(Directory.GetFiles(_dir.Snap).Single()), 8));
        Assert.Equal(["node-1", "node-2"], loaded.Snapshot!.Metadata.Voters);
        Assert.Equal(["node-3", "node-4"], loaded.Snapshot.Metadata.Learners);
        Assert.Equal([1, 2, 3], loaded.Snapshot.Data);
    }

    [Fact]
    public void Save_ConfigChangeEntry_LoadReturnsItUnchanged()
    {
        var data = ConfigChange.AddLearner("node-4", [7]).Encode(new RaftConfiguration(["node-1"], ["node-4"]));
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(new HardState(1, null, 0), [.. Range(1, 3, 1), new Entry(4, 1, EntryType.ConfigChange, data)]);
        }

        var entry = Reopen(_dir.Path).Entries[^1];

        Assert.Equal((4L, EntryType.ConfigChange), (entry.Index, entry.Type));
        Assert.Equal(data, entry.Data);
    }
}
