// On-disk format of RaftStorage (version 1). All integers are little-endian.
//
//   {dataDir}/LOCK                      held exclusively while open (a second opener fails fast)
//   {dataDir}/wal/{seq:D20}.wal         write-ahead log segments, seq = 1, 2, 3, ... (a compacted prefix is deleted)
//   {dataDir}/snap/{index:D20}.snap     snapshots (newest wins; *.snap.tmp are unfinished and removed on load)
//
// Segment  = header (32 bytes) then frames, then (active segment only) zeros up to the end of the file.
//   header = "DSYNCWAL" | u32 version | u32 salt | i64 seq | u32 reserved | u32 crc32(first 28 bytes)
//   The salt is random per segment. Every segment's first frame holds the current hard state, so deleting
//   older segments never loses it. A segment is rolled when the next frame would pass SegmentBytes.
//   The active segment is zero-filled PreallocateBytes at a time ahead of its frames (fsynced once), so an append's
//   fsync writes data into existing blocks and has no file size or block map to journal. Before a roll the zeros are
//   cut off, so only the last segment ever ends in zeros. Zeros never start a frame (the salt is never 0).
// Frame    = u32 salt | i32 payloadLength | payload (records) | u32 crc32(salt, length, payload)
//   One Save = one frame = one write + one fsync (group commit). A Save above MaxFrameBytes becomes several frames,
//   each fsynced in turn, so only the very last frame of the log can be torn by a crash.
//   The salt gates resynchronisation: a frame is only recognised where the segment's salt appears, so entry data that
//   happens to contain a well-formed frame cannot be mistaken for one.
// Record   = u8 type | i32 bodyLength | body
//   1 entry          i64 index | i64 term | u8 entryType | data
//   2 hard state     i64 term | i64 commit | i32 votedForLength (-1 = null) | UTF-8 votedFor
//   3 snapshot mark  i64 index | i64 term | u8 retainLog (1: the snapshot matched the log, keep entries after it;
//                    0: it replaced the log, Raft §7)
//   Replay rules: an entry at index i supersedes every entry >= i; the last hard state wins.
// Snapshot file = "DSYNCSNP" | u32 version | u32 reserved | i64 index | i64 term | i32 voterCount
//   | voterCount x (u16 length | UTF-8 id) | i64 dataLength | data | u32 crc32(everything before)
//   Written to *.snap.tmp, fsynced, renamed, directory fsynced; only then is its marker appended to the WAL (perhaps
//   after entries that follow the snapshot: the file may be written beside the log, and the marker comes when it is done).
// Compaction deletes whole segments, oldest first, whose entries all lie at or below the newest snapshot; never the
//   active segment nor the one holding the newest snapshot marker.
// Load: in the LAST segment, a run of zeros to the end of the file is unused space: the log ends there and the next
//   frame is written over it. A bad frame in the LAST segment with no valid frame after it is a torn tail: it is cut
//   off (truncate + fsync) and reported. A bad frame followed by a valid one, or a bad frame in an older segment, is corruption: Load throws
//   WalCorruptionException naming file and offset. The entries returned are contiguous from snapshot index + 1.
// Checksum: CRC-32 (IEEE) from System.IO.Hashing. Version 10.0.14 offers Crc32, Crc64 and XxHash but no CRC-32C;
//   CRC-32 is vectorised there, detects every burst error up to 32 bits (XxHash guarantees nothing of the sort), and
//   4 bytes per frame is enough when frames are a group commit, not an entry.
using DistSync.Node.Hosting;
using DistSync.Raft;
using Microsoft.Win32.SafeHandles;

namespace DistSync.Node.Storage;

/// <summary>
/// Durable Raft state on local disk: a segmented, checksummed write-ahead log of entries and hard state, plus
/// atomically written snapshots. Call <see cref="Load"/> once after opening, then <see cref="Save"/> for what must be durable.
/// </summary>
/// <example>
/// <code>
/// using var storage = new RaftStorage(dataDir);               // DistSync__DataDir
/// var loaded = storage.Load();                                 // log loaded.Recovery.Notes
/// var raft = new RaftNode(..., new PersistedState(loaded.HardState, loaded.Snapshot, loaded.Entries));
/// // per Ready (the host's WAL writer merges several into one Save):
/// if (ready.SnapshotToPersist is { } s) storage.SaveSnapshot(s); // before the entries that follow it
/// storage.Save(ready.HardState, ready.EntriesToPersist);       // one write + one fsync; then the messages that wait for it
/// // after the state machines took their own snapshot at index i, off the log's thread:
/// storage.WriteSnapshotFile(new Snapshot(meta(i), image));   // the big write, beside the log's writes
/// storage.RecordSnapshot(meta(i));                              // then, in log order: marker, compaction
/// </code>
/// </example>
/// <remarks>
/// Single-threaded by design: the host's WAL writer makes every call, except <see cref="WriteSnapshotFile"/>, which
/// only writes its own file and may run beside it. Calls from two threads at
/// once are detected cheaply and refused with <see cref="InvalidOperationException"/>. After a failed write or fsync
/// the instance refuses further use (the page cache state is unknown after a failed fsync); reopen and Load again.
/// </remarks>
public sealed partial class RaftStorage : IDisposable
{
    private readonly RaftStorageOptions _options;
    private readonly string _walDirectory;
    private readonly string _snapshotDirectory;
    private readonly SafeFileHandle _lock;
    private readonly List<WalSegment> _segments = [];
    private readonly TermRuns _terms = new();

    private SafeFileHandle? _active;
    private HardState _hardState = HardState.Initial;
    private long _snapshotIndex;
    private long _snapshotTerm;
    private long _lastIndex;
    private long _markerSegment; // segment holding the newest snapshot marker; compaction keeps it
    private bool _loaded;
    private bool _failed;
    private bool _disposed;
    private int _busy;

    /// <summary>Opens (creating if needed) the storage in <paramref name="dataDirectory"/> and locks it for this instance.</summary>
    public RaftStorage(string dataDirectory, RaftStorageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        _options = options ?? new RaftStorageOptions();
        _options.Validate();
        DataDirectory = Path.GetFullPath(dataDirectory);
        _walDirectory = Path.Combine(DataDirectory, "wal");
        _snapshotDirectory = Path.Combine(DataDirectory, "snap");
        var createdData = !Directory.Exists(DataDirectory);
        var createdSubdirectories = !Directory.Exists(_walDirectory) || !Directory.Exists(_snapshotDirectory);
        Directory.CreateDirectory(_walDirectory);
        Directory.CreateDirectory(_snapshotDirectory);

        // New directory entries are only durable once their parent is fsynced.
        if (createdData && Path.GetDirectoryName(DataDirectory) is { } parent)
        {
            SyncDirectory(parent);
        }

        if (createdSubdirectories)
        {
            SyncDirectory(DataDirectory);
        }

        // FileShare.None takes an exclusive advisory lock (flock) on Unix: two nodes on one directory would corrupt it.
        _lock = File.OpenHandle(Path.Combine(DataDirectory, "LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    /// <summary>The absolute data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>Index of the last entry in the log (the snapshot index when the log is empty).</summary>
    public long LastIndex => _lastIndex;

    /// <summary>Index of the newest snapshot, 0 without one.</summary>
    public long SnapshotIndex => _snapshotIndex;

    /// <summary>Number of WAL segment files currently on disk.</summary>
    public int SegmentCount => _segments.Count;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _active?.Dispose();
        _lock.Dispose();
    }

    /// <summary>Cheap guard against concurrent or post-failure use; pair with <see cref="Exit"/>.</summary>
    private void Enter(bool requireLoaded = true)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("RaftStorage is single-threaded (one host loop) but was called from two threads at once.");
        }

        if (_failed)
        {
            _busy = 0;
            throw new InvalidOperationException("RaftStorage failed an earlier write or fsync; reopen it and Load again.");
        }

        if (requireLoaded && !_loaded)
        {
            _busy = 0;
            throw new InvalidOperationException("call Load() once before using RaftStorage.");
        }
    }

    private void Exit() => Volatile.Write(ref _busy, 0);

    private void Sync(SafeFileHandle handle)
    {
        if (_options.SyncToDisk)
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    private void SyncDirectory(string directory)
    {
        if (_options.SyncToDisk)
        {
            DirectorySync.Flush(directory);
        }
    }
}
