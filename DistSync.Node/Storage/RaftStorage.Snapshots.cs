using DistSync.Node.Consensus;

namespace DistSync.Node.Storage;

public sealed partial class RaftStorage
{
    /// <summary>
    /// Makes <paramref name="snapshot"/> durable (temp file, fsync, rename, fsync of the directory), records it in the
    /// WAL, drops older snapshot files beyond <see cref="RaftStorageOptions.SnapshotsToKeep"/> and compacts the WAL.
    /// If the log holds the snapshot's last entry with the same term, the entries after it are kept; otherwise the
    /// snapshot replaces the whole log (Raft §7) and the next entries must start at its index + 1.
    /// </summary>
    public void SaveSnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Enter();
        try
        {
            var meta = snapshot.Metadata;
            if (meta.Index <= _snapshotIndex || meta.Term < _snapshotTerm)
            {
                throw new InvalidOperationException(
                    $"snapshot {meta.Index}/{meta.Term} is not newer than the current one {_snapshotIndex}/{_snapshotTerm}");
            }

            var retainLog = meta.Index <= _lastIndex && _terms.TermAt(meta.Index) == meta.Term;
            WriteSnapshotFile(snapshot);
            WriteRecords(null, [], new SnapshotMark(meta.Index, meta.Term, retainLog));
            _markerSegment = _segments[^1].Sequence;

            _snapshotIndex = meta.Index;
            _snapshotTerm = meta.Term;
            if (retainLog)
            {
                _terms.Rebase(meta.Index, meta.Term);
            }
            else
            {
                _terms.Reset(meta.Index, meta.Term);
                _lastIndex = meta.Index;
            }

            RemoveOldSnapshots();
            CompactCore(meta.Index);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Deletes whole WAL segments (oldest first, never the active one nor the one recording the newest snapshot) whose entries all lie at or below
    /// <paramref name="index"/>, which must not pass the newest snapshot. Returns how many were deleted.
    /// </summary>
    public int CompactTo(long index)
    {
        Enter();
        try
        {
            if (index > _snapshotIndex)
            {
                throw new InvalidOperationException($"cannot compact to {index}: the newest snapshot only covers {_snapshotIndex}");
            }

            return CompactCore(index);
        }
        finally
        {
            Exit();
        }
    }

    private int CompactCore(long index)
    {
        var removed = 0;
        // The newest marker's segment stays, so that load can tell a completed snapshot from one cut short by a crash.
        while (_segments.Count > 1 && _segments[0].MaxEntryIndex <= index && _segments[0].Sequence != _markerSegment)
        {
            File.Delete(_segments[0].Path);
            _segments.RemoveAt(0);
            removed++;
        }

        if (removed > 0)
        {
            SyncDirectory(_walDirectory);
        }

        return removed;
    }

    private void WriteSnapshotFile(Snapshot snapshot)
    {
        var bytes = SnapshotFile.Encode(snapshot);
        var finalPath = Path.Combine(_snapshotDirectory, SnapshotFile.FileName(snapshot.Metadata.Index));
        var tempPath = finalPath + ".tmp";
        try
        {
            using (var handle = File.OpenHandle(tempPath, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(handle, bytes, 0);
                Sync(handle);
            }

            File.Move(tempPath, finalPath, overwrite: true);
            SyncDirectory(_snapshotDirectory);
        }
        catch (Exception)
        {
            _failed = true;
            throw;
        }
    }

    private void RemoveOldSnapshots()
    {
        var files = ListSnapshotFiles();
        for (var i = _options.SnapshotsToKeep; i < files.Count; i++)
        {
            File.Delete(files[i].Path);
        }

        if (files.Count > _options.SnapshotsToKeep)
        {
            SyncDirectory(_snapshotDirectory);
        }
    }

    /// <summary>Removes unfinished temp files, then reads the newest snapshot. A damaged newest snapshot is an error, not a fallback.</summary>
    private Snapshot? LoadNewestSnapshot(RecoveryBuilder recovery)
    {
        foreach (var temp in Directory.EnumerateFiles(_snapshotDirectory, "*" + SnapshotFile.TempExtension))
        {
            File.Delete(temp);
            recovery.TempFilesRemoved++;
            recovery.Notes.Add($"removed unfinished snapshot temp file '{temp}'");
        }

        if (recovery.TempFilesRemoved > 0)
        {
            SyncDirectory(_snapshotDirectory);
        }

        var files = ListSnapshotFiles();
        if (files.Count == 0)
        {
            return null;
        }

        var (index, path) = files[0];
        var snapshot = SnapshotFile.Decode(File.ReadAllBytes(path), path);
        if (snapshot.Metadata.Index != index)
        {
            throw new WalCorruptionException(path, 16, $"snapshot file name says index {index}, its header says {snapshot.Metadata.Index}");
        }

        return snapshot;
    }

    /// <summary>Snapshot files, newest first.</summary>
    private List<(long Index, string Path)> ListSnapshotFiles()
    {
        var files = new List<(long, string)>();
        foreach (var path in Directory.EnumerateFiles(_snapshotDirectory, "*" + SnapshotFile.Extension))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(path), out var index) || index < 1)
            {
                throw new WalCorruptionException(path, -1, "unexpected file name in the snapshot directory");
            }

            files.Add((index, path));
        }

        files.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return files;
    }
}
