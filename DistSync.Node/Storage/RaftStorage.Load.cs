using DistSync.Raft;

namespace DistSync.Node.Storage;

public sealed partial class RaftStorage
{
    private const string SegmentExtension = ".wal";

    /// <summary>
    /// Reads the newest snapshot and replays the WAL, repairing a torn tail of the last segment (reported in
    /// <see cref="WalLoadResult.Recovery"/>). Call exactly once, before any other operation.
    /// </summary>
    /// <exception cref="WalCorruptionException">Damage that is not a torn tail: the node must not start on it.</exception>
    public WalLoadResult Load()
    {
        Enter(requireLoaded: false);
        try
        {
            if (_loaded)
            {
                throw new InvalidOperationException("Load() was already called on this RaftStorage.");
            }

            var recovery = new RecoveryBuilder();
            var snapshot = LoadNewestSnapshot(recovery);
            var replay = new WalReplay();
            ReplaySegments(replay, recovery);
            var entries = replay.Finish(snapshot?.Metadata, _walDirectory, out var snapshotAheadOfLog);
            if (snapshotAheadOfLog)
            {
                recovery.Notes.Add($"snapshot {snapshot!.Metadata.Index} was saved but its WAL marker was not (crash in between); applied it");
            }

            _hardState = replay.HardState;
            _snapshotIndex = snapshot?.Metadata.Index ?? 0;
            _snapshotTerm = snapshot?.Metadata.Term ?? 0;
            _terms.Reset(_snapshotIndex, _snapshotTerm);
            foreach (var entry in entries)
            {
                _terms.Append(entry.Index, entry.Term);
            }

            _lastIndex = entries.Count > 0 ? entries[^1].Index : _snapshotIndex;
            if (_segments.Count == 0)
            {
                CreateSegment(1);
            }
            else
            {
                _active = File.OpenHandle(_segments[^1].Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            }

            _loaded = true;
            return new WalLoadResult(replay.HardState, snapshot, entries, recovery.Build(_segments.Count, snapshotAheadOfLog));
        }
        catch
        {
            _failed = true; // Half-loaded state must not be written to.
            throw;
        }
        finally
        {
            Exit();
        }
    }

    private void ReplaySegments(WalReplay replay, RecoveryBuilder recovery)
    {
        var files = ListSegments();
        for (var i = 0; i < files.Count; i++)
        {
            var (sequence, path) = files[i];
            var isLast = i == files.Count - 1;
            var length = new FileInfo(path).Length;
            if (length > Array.MaxLength)
            {
                throw new WalCorruptionException(path, 0, $"segment of {length} bytes is larger than any segment this code writes");
            }

            var bytes = File.ReadAllBytes(path);
            var header = WalFormat.TryReadSegmentHeader(bytes, path);
            if (header is null)
            {
                if (!isLast)
                {
                    throw new WalCorruptionException(path, 0, "segment header is damaged");
                }

                // Created but never made durable: a crash while rolling. Nothing in it was ever acknowledged.
                File.Delete(path);
                SyncDirectory(_walDirectory);
                recovery.TornSegmentsRemoved++;
                recovery.Notes.Add($"removed segment '{path}' whose header was never completely written ({bytes.Length} bytes)");
                continue;
            }

            if (header.Value.Sequence != sequence)
            {
                throw new WalCorruptionException(path, 16, $"segment header says sequence {header.Value.Sequence}, file name says {sequence}");
            }

            var segment = new WalSegment(sequence, path, header.Value.Salt, bytes.Length);
            var markersBefore = replay.MarkerCount;
            ReplayFrames(bytes, segment, isLast, replay, recovery);
            if (replay.MarkerCount != markersBefore)
            {
                _markerSegment = sequence;
            }
            if (isLast && segment.Length == WalFormat.SegmentHeaderBytes)
            {
                // Every segment is created with its hard state frame in the same write; without it the roll never completed.
                File.Delete(path);
                SyncDirectory(_walDirectory);
                recovery.TornSegmentsRemoved++;
                recovery.Notes.Add($"removed segment '{path}' that holds a header but no frame");
                continue;
            }

            _segments.Add(segment);
        }
    }

    private static void ReplayFrames(byte[] bytes, WalSegment segment, bool isLast, WalReplay replay, RecoveryBuilder recovery)
    {
        var offset = WalFormat.SegmentHeaderBytes;
        var frames = 0;
        while (offset < bytes.Length)
        {
            var payload = WalFormat.TryReadFrame(bytes, offset, segment.Salt);
            if (payload < 0 && isLast && bytes.AsSpan(offset).IndexOfAnyExcept((byte)0) < 0)
            {
                // Zero-filled space ahead of the frames (see RaftStorageOptions.PreallocateBytes): the log ends here.
                // A frame always starts with its segment's non-zero salt, so zeros are never part of one.
                segment.Length = offset;
                break;
            }

            if (payload < 0)
            {
                var next = WalFormat.FindValidFrame(bytes, offset + 1, segment.Salt);
                if (!isLast || next >= 0)
                {
                    throw new WalCorruptionException(segment.Path, offset, next >= 0
                        ? $"damaged frame followed by a valid frame at offset {next}: this is not a torn write"
                        : "damaged frame in a segment that is not the last");
                }

                TruncateTornTail(segment, offset, bytes, recovery);
                break;
            }

            var payloadOffset = offset + WalFormat.FrameHeaderBytes;
            var maxIndex = replay.ReplayFrame(bytes.AsSpan(payloadOffset, payload), segment.Path, payloadOffset);
            segment.MaxEntryIndex = Math.Max(segment.MaxEntryIndex, maxIndex);
            segment.HasContent |= frames > 0;
            frames++;
            offset += payload + WalFormat.FrameOverhead;
        }
    }

    private static void TruncateTornTail(WalSegment segment, int offset, byte[] bytes, RecoveryBuilder recovery)
    {
        var fileLength = bytes.Length;
        using (var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
        {
            RandomAccess.SetLength(handle, offset);
            RandomAccess.FlushToDisk(handle); // A repair is always made durable, whatever SyncToDisk says.
        }

        segment.Length = offset;
        segment.Allocated = offset;
        recovery.TruncatedBytes = fileLength - offset;
        recovery.TruncatedFile = segment.Path;
        recovery.TruncatedAtOffset = offset;
        // In a zero-filled segment most of what is cut is unused space: say how much was actually damaged.
        var damaged = bytes.AsSpan(offset).LastIndexOfAnyExcept((byte)0) + 1;
        recovery.Notes.Add(damaged == fileLength - offset
            ? $"truncated a torn tail of {fileLength - offset} bytes at offset {offset} of '{segment.Path}'"
            : $"truncated a torn tail of {damaged} bytes at offset {offset} of '{segment.Path}' (and {fileLength - offset - damaged} bytes of zero-filled space after it)");
    }

    /// <summary>Segment files by sequence; they must be consecutive (only a prefix is ever deleted).</summary>
    private List<(long Sequence, string Path)> ListSegments()
    {
        var files = new List<(long, string)>();
        foreach (var path in Directory.EnumerateFiles(_walDirectory, "*" + SegmentExtension))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(path), out var sequence) || sequence < 1)
            {
                throw new WalCorruptionException(path, -1, "unexpected file name in the WAL directory");
            }

            files.Add((sequence, path));
        }

        files.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        for (var i = 1; i < files.Count; i++)
        {
            if (files[i].Item1 != files[i - 1].Item1 + 1)
            {
                throw new WalCorruptionException(files[i].Item2, -1, $"segment {files[i - 1].Item1 + 1} is missing");
            }
        }

        return files;
    }

    /// <summary>Mutable collector of recovery facts, frozen into a <see cref="WalRecoveryReport"/>.</summary>
    private sealed class RecoveryBuilder
    {
        public long TruncatedBytes { get; set; }

        public string? TruncatedFile { get; set; }

        public long TruncatedAtOffset { get; set; } = -1;

        public int TornSegmentsRemoved { get; set; }

        public int TempFilesRemoved { get; set; }

        public List<string> Notes { get; } = [];

        public WalRecoveryReport Build(int segments, bool snapshotAheadOfLog) => new(
            segments, TruncatedBytes, TruncatedFile, TruncatedAtOffset, TornSegmentsRemoved, TempFilesRemoved, snapshotAheadOfLog, Notes);
    }
}
