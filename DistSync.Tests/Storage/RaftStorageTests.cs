using System.Collections;
using DistSync.Node.Storage;
using DistSync.Raft;
using static DistSync.Tests.Storage.StorageData;

namespace DistSync.Tests.Storage;

public sealed class RaftStorageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Load_EmptyDirectory_ReturnsInitialStateAndCreatesFirstSegment()
    {
        using var storage = new RaftStorage(_dir.Path);
        var loaded = storage.Load();

        Assert.Equal(HardState.Initial, loaded.HardState);
        Assert.Null(loaded.Snapshot);
        Assert.Empty(loaded.Entries);
        Assert.False(loaded.Recovery.Repaired);
        Assert.True(File.Exists(_dir.Segment(1)));
        Assert.Equal(0, storage.LastIndex);
    }

    [Fact]
    public void Save_EntriesAndHardState_RoundTripThroughRealFsync()
    {
        var entries = new List<Entry>
        {
            Entry.EmptyAt(1, 1),
            Command(2, 1, "lock a"),
            new(3, 2, EntryType.Command, new byte[70_000]),
            Command(4, 2, "ünïcødé ✓"),
        };
        var state = new HardState(2, "node-2", 3);
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(state, entries);
        }

        var loaded = Reopen(_dir.Path);

        Assert.Equal(state, loaded.HardState);
        AssertEntries(entries, loaded.Entries);
    }

    [Fact]
    public void Save_HardStateWithoutVote_RoundTripsNullVote()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(new HardState(5, "node-1", 0), []);
            storage.Save(new HardState(6, null, 0), []);
        }

        Assert.Equal(new HardState(6, null, 0), Reopen(_dir.Path).HardState);
    }

    [Fact]
    public void Save_OverwritingSuffix_LoadReturnsReplacedTail()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            storage.Save(new HardState(1, "a", 2), Range(1, 10, 1));
            storage.Save(new HardState(2, "b", 2), Range(6, 8, 2));
            Assert.Equal(8, storage.LastIndex);
        }

        var loaded = Reopen(_dir.Path);

        AssertEntries([.. Range(1, 5, 1), .. Range(6, 8, 2)], loaded.Entries);
    }

    [Fact]
    public void Save_ManyBatchesWithRestartsAndSegmentRolls_ReturnsWholeLog()
    {
        var options = new RaftStorageOptions { SyncToDisk = false, SegmentBytes = 4096 };
        var expected = new List<Entry>();
        long index = 0;
        for (var restart = 0; restart < 5; restart++)
        {
            using var storage = new RaftStorage(_dir.Path, options);
            var loaded = storage.Load();
            AssertEntries(expected, loaded.Entries);
            for (var batch = 0; batch < 40; batch++)
            {
                var entries = Range(index + 1, index + 1 + (batch % 4), restart + 1);
                storage.Save(new HardState(restart + 1, null, index), entries);
                expected.AddRange(entries);
                index = entries[^1].Index;
            }
        }

        var final = Reopen(_dir.Path, options);

        AssertEntries(expected, final.Entries);
        Assert.Equal(new HardState(5, null, expected[^1].Index - 4), final.HardState);
        Assert.True(Directory.GetFiles(_dir.Wal).Length > 3, "4 KiB segments must have rolled");
    }

    [Fact]
    public void Save_HardStateAfterRoll_SurvivesWhenOlderSegmentsAreGone()
    {
        var options = new RaftStorageOptions { SyncToDisk = false, SegmentBytes = 4096 };
        using (var storage = new RaftStorage(_dir.Path, options))
        {
            storage.Load();
            storage.Save(new HardState(7, "node-3", 0), Range(1, 200, 7));
            storage.SaveSnapshot(new Snapshot(new SnapshotMetadata(200, 7, ["node-1"]), [1]));
            Assert.Equal(1, storage.SegmentCount);
        }

        var loaded = Reopen(_dir.Path, options);

        Assert.Equal(new HardState(7, "node-3", 0), loaded.HardState);
        Assert.Empty(loaded.Entries);
    }

    [Fact]
    public void Save_Batch256_IsOneFrameAppendedInOneWrite()
    {
        using var storage = new RaftStorage(_dir.Path);
        storage.Load();
        var before = EndOfFrames(_dir.Segment(1));
        var entries = Range(1, 256, 1);
        var state = new HardState(1, "n1", 0);

        storage.Save(state, entries);

        var records = entries.Sum(e => 5 + 17 + e.Data.Length) + 5 + 20 + 2;
        Assert.Equal(before + 12 + records, EndOfFrames(_dir.Segment(1)));
    }

    [Fact]
    public void Save_BatchLargerThanFrame_SplitsIntoFramesAndRoundTrips()
    {
        var options = new RaftStorageOptions { SyncToDisk = false, MaxFrameBytes = 1024, SegmentBytes = 8192 };
        var entries = Enumerable.Range(1, 100).Select(i => Command(i, 1, new string('x', 90 + i % 7))).ToList();
        using (var storage = new RaftStorage(_dir.Path, options))
        {
            storage.Load();
            storage.Save(new HardState(1, null, 0), entries);
        }

        AssertEntries(entries, Reopen(_dir.Path, options).Entries);
    }

    [Fact]
    public void Save_EntryLargerThanFrame_ThrowsArgumentException()
    {
        using var storage = new RaftStorage(_dir.Path, new RaftStorageOptions { MaxFrameBytes = 1024 });
        storage.Load();

        Assert.Throws<ArgumentException>(() => storage.Save(null, [new Entry(1, 1, EntryType.Command, new byte[2000])]));
    }

    [Fact]
    public void Save_BeforeLoad_ThrowsInvalidOperation()
    {
        using var storage = new RaftStorage(_dir.Path);

        Assert.Throws<InvalidOperationException>(() => storage.Save(null, Range(1, 1, 1)));
    }

    [Fact]
    public void Load_CalledTwice_ThrowsInvalidOperation()
    {
        using var storage = new RaftStorage(_dir.Path);
        storage.Load();

        Assert.Throws<InvalidOperationException>(() => storage.Load());
    }

    [Theory]
    [InlineData(7, 1)]   // gap after last index 5
    [InlineData(0, 1)]   // index 0 is below the log
    [InlineData(4, 0)]   // term below predecessor's
    public void Save_EntriesBreakingLogInvariants_ThrowInvalidOperation(long firstIndex, long term)
    {
        using var storage = new RaftStorage(_dir.Path, Fast);
        storage.Load();
        storage.Save(null, Range(1, 5, 1));

        Assert.Throws<InvalidOperationException>(() => storage.Save(null, Range(firstIndex, firstIndex + 1, term)));
        Assert.Equal(5, storage.LastIndex);
    }

    [Fact]
    public void Save_NonContiguousBatch_ThrowsInvalidOperation()
    {
        using var storage = new RaftStorage(_dir.Path, Fast);
        storage.Load();

        Assert.Throws<InvalidOperationException>(() => storage.Save(null, [Command(1, 1), Command(3, 1)]));
    }

    [Fact]
    public void Save_OverwritingCommittedEntry_ThrowsInvalidOperation()
    {
        using var storage = new RaftStorage(_dir.Path, Fast);
        storage.Load();
        storage.Save(new HardState(1, null, 4), Range(1, 5, 1));

        Assert.Throws<InvalidOperationException>(() => storage.Save(null, Range(4, 6, 2)));
        storage.Save(null, Range(5, 6, 2));
        Assert.Equal(6, storage.LastIndex);
    }

    [Fact]
    public void Save_HardStateGoingBackwards_ThrowsInvalidOperation()
    {
        using var storage = new RaftStorage(_dir.Path, Fast);
        storage.Load();
        storage.Save(new HardState(3, "a", 0), []);

        Assert.Throws<InvalidOperationException>(() => storage.Save(new HardState(2, "a", 0), []));
    }

    [Fact]
    public void Open_DirectoryAlreadyOpen_SecondOpenFails()
    {
        using var first = new RaftStorage(_dir.Path);

        Assert.ThrowsAny<IOException>(() => new RaftStorage(_dir.Path));
    }

    [Fact]
    public void Save_CalledWhileAnotherSaveIsRunning_RefusedAsConcurrentMisuse()
    {
        using var storage = new RaftStorage(_dir.Path, Fast);
        storage.Load();
        var reentrant = new ReentrantEntries(() => storage.Save(null, Range(1, 1, 1)));

        storage.Save(null, reentrant);

        Assert.IsType<InvalidOperationException>(reentrant.Caught);
        Assert.Contains("two threads", reentrant.Caught!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_ThenSave_ThrowsObjectDisposed()
    {
        var storage = new RaftStorage(_dir.Path, Fast);
        storage.Load();
        storage.Dispose();

        Assert.Throws<ObjectDisposedException>(() => storage.Save(null, Range(1, 1, 1)));
    }

    /// <summary>A list whose enumeration calls back into the storage, standing in for a second thread mid-Save.</summary>
    private sealed class ReentrantEntries(Action callback) : IReadOnlyList<Entry>
    {
        private readonly Entry _entry = Command(1, 1);

        public Exception? Caught { get; private set; }

        public int Count => 1;

        public Entry this[int index]
        {
            get
            {
                if (Caught is null)
                {
                    try
                    {
                        callback();
                    }
                    catch (InvalidOperationException e)
                    {
                        Caught = e;
                    }
                }

                return _entry;
            }
        }

        public IEnumerator<Entry> GetEnumerator()
        {
            yield return this[0];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
