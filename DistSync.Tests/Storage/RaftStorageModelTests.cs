using DistSync.Node.Storage;
using DistSync.Raft;
using static DistSync.Tests.Storage.StorageData;

namespace DistSync.Tests.Storage;

/// <summary>
/// Random histories of appends, suffix overwrites, hard state changes, snapshots (matching and replacing) and restarts,
/// checked after every restart against a plain in-memory model of what must be durable.
/// </summary>
public sealed class RaftStorageModelTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(4, 0)]
    [InlineData(5, 0)]
    [InlineData(1, 700)]
    [InlineData(2, 700)]
    [InlineData(3, 700)]
    [InlineData(4, 700)]
    [InlineData(5, 700)]
    public void Load_AfterRandomHistory_MatchesModel(int seed, long preallocateBytes)
    {
        using var dir = new TempDirectory();
        var options = new RaftStorageOptions { SyncToDisk = false, SegmentBytes = 4096, MaxFrameBytes = 1024, PreallocateBytes = preallocateBytes };
        var random = new Random(seed);
        var model = new Model();
        var storage = new RaftStorage(dir.Path, options);
        storage.Load();
        try
        {
            for (var step = 0; step < 400; step++)
            {
                var roll = random.Next(100);
                if (roll < 45)
                {
                    var entries = Range(model.Last + 1, model.Last + random.Next(1, 9), model.Term);
                    storage.Save(null, entries);
                    model.Append(entries);
                }
                else if (roll < 55 && model.Last > model.Floor)
                {
                    model.Term++;
                    var from = model.Floor + 1 + random.NextInt64(model.Last - model.Floor);
                    var entries = Range(from, from + random.Next(0, 4), model.Term);
                    model.State = model.State with { Term = model.Term, VotedFor = $"node-{random.Next(1, 4)}" };
                    storage.Save(model.State, entries);
                    model.Append(entries);
                }
                else if (roll < 70)
                {
                    model.State = model.State with { Commit = model.State.Commit + random.NextInt64(model.Last - model.State.Commit + 1) };
                    storage.Save(model.State, []);
                }
                else if (roll < 80 && model.State.Commit > model.SnapshotIndex)
                {
                    var index = model.SnapshotIndex + 1 + random.NextInt64(model.State.Commit - model.SnapshotIndex);
                    var snapshot = new Snapshot(new SnapshotMetadata(index, model.TermAt(index), ["node-1"]), [(byte)step]);
                    storage.SaveSnapshot(snapshot);
                    model.ApplySnapshot(snapshot, retain: true);
                }
                else if (roll < 83)
                {
                    // A leader's InstallSnapshot from ahead of this log: it replaces the log.
                    model.Term++;
                    var snapshot = new Snapshot(new SnapshotMetadata(model.Last + random.Next(1, 20), model.Term, ["node-2"]), [(byte)step]);
                    model.State = new HardState(model.Term, null, snapshot.Metadata.Index);
                    storage.SaveSnapshot(snapshot);
                    storage.Save(model.State, []);
                    model.ApplySnapshot(snapshot, retain: false);
                }
                else if (roll < 86)
                {
                    // A crash mid-write: bytes of an unfinished frame (garbage or zeros) behind the last durable one,
                    // over the zero-filled space when there is some, else past the end of the file.
                    storage.Dispose();
                    var segment = Directory.GetFiles(dir.Wal).Order(StringComparer.Ordinal).Last();
                    var end = EndOfFrames(segment);
                    var garbage = new byte[random.Next(1, 200)];
                    if (random.Next(2) == 0)
                    {
                        random.NextBytes(garbage);
                        garbage[0] |= 1;
                    }

                    using (var file = File.OpenHandle(segment, FileMode.Open, FileAccess.ReadWrite))
                    {
                        RandomAccess.Write(file, garbage, end);
                    }

                    // Damage is cut off up to the end of the file; zeros are unused space, not damage.
                    var expected = garbage[0] == 0 ? 0 : new FileInfo(segment).Length - end;
                    storage = new RaftStorage(dir.Path, options);
                    var loaded = storage.Load();
                    Assert.True(expected == loaded.Recovery.TruncatedBytes, $"seed {seed}, step {step}: truncated {loaded.Recovery.TruncatedBytes}, expected {expected}");
                    model.Check(loaded, seed, step);
                }
                else if (roll < 92)
                {
                    storage.Dispose();
                    storage = new RaftStorage(dir.Path, options);
                    model.Check(storage.Load(), seed, step);
                }
            }

            storage.Dispose();
            storage = new RaftStorage(dir.Path, options);
            model.Check(storage.Load(), seed, -1);
        }
        finally
        {
            storage.Dispose();
        }
    }

    private sealed class Model
    {
        private readonly List<Entry> _log = [];

        public long Term { get; set; } = 1;

        public HardState State { get; set; } = HardState.Initial;

        public Snapshot? Snapshot { get; private set; }

        public long SnapshotIndex => Snapshot?.Metadata.Index ?? 0;

        public long Last => _log.Count > 0 ? _log[^1].Index : SnapshotIndex;

        /// <summary>Nothing at or below this may be overwritten.</summary>
        public long Floor => Math.Max(State.Commit, SnapshotIndex);

        public long TermAt(long index) => index == SnapshotIndex ? Snapshot!.Metadata.Term : _log[(int)(index - SnapshotIndex - 1)].Term;

        public void Append(List<Entry> entries)
        {
            var keep = (int)(entries[0].Index - SnapshotIndex - 1);
            _log.RemoveRange(keep, _log.Count - keep);
            _log.AddRange(entries);
        }

        public void ApplySnapshot(Snapshot snapshot, bool retain)
        {
            var drop = retain ? (int)(snapshot.Metadata.Index - SnapshotIndex) : _log.Count;
            _log.RemoveRange(0, drop);
            Snapshot = snapshot;
        }

        public void Check(WalLoadResult loaded, int seed, int step)
        {
            var where = $"seed {seed}, step {step}";
            Assert.True(State == loaded.HardState, $"{where}: hard state {loaded.HardState}, expected {State}");
            Assert.True(SnapshotIndex == (loaded.Snapshot?.Metadata.Index ?? 0), $"{where}: snapshot {loaded.Snapshot?.Metadata.Index}, expected {SnapshotIndex}");
            Assert.True(Snapshot?.Data.SequenceEqual(loaded.Snapshot!.Data) ?? true, $"{where}: snapshot data differs");
            Assert.True(_log.Count == loaded.Entries.Count, $"{where}: {loaded.Entries.Count} entries, expected {_log.Count}");
            for (var i = 0; i < _log.Count; i++)
            {
                var (expected, actual) = (_log[i], loaded.Entries[i]);
                Assert.True(
                    expected.Index == actual.Index && expected.Term == actual.Term && expected.Data.SequenceEqual(actual.Data),
                    $"{where}: entry {i} is {actual.Index}/{actual.Term}, expected {expected.Index}/{expected.Term}");
            }
        }
    }
}
