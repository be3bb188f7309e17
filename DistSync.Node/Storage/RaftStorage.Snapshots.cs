using DistSync.Raft;

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

            WriteSnapshotFileCore(snapshot);
            Record(meta);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The first half of <see cref="SaveSnapshot"/>: makes the snapshot's file durable and nothing more; the WAL knows
    /// nothing of it until <see cref="RecordSnapshot"/>. Unlike every other method, this one may run on another thread
    /// while the log is being written (it touches only its own file in snap/), so that neither the Raft loop nor the WAL
    /// writer waits for a large snapshot to reach the disk. A file written but never recorded (a crash in between) is
    /// still found by <see cref="Load"/>, which is safe: a snapshot only ever holds committed state.
    /// </summary>
    public void WriteSnapshotFile(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _failed))
        {
            throw new InvalidOperationException("RaftStorage failed an earlier write or fsync; reopen it and Load again.");
        }

        WriteSnapshotFileCore(snapshot);
    }

    /// <summary>
    /// The second half of <see cref="SaveSnapshot"/>, on the log's thread, once <see cref="WriteSnapshotFile"/> returned:
    /// records the snapshot in the WAL, drops older snapshot files and compacts the WAL. Returns false, changing
    /// nothing, when a snapshot at least as new was saved meanwhile (one received from the leader).
    /// </summary>
    public bool RecordSnapshot(SnapshotMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        Enter();
        try
        {
            if (metadata.Index <= _snapshotIndex)
            {
                return false;
            }

            if (metadata.Term < _snapshotTerm)
            {
                throw new InvalidOperationException($"snapshot {metadata.Index} has term {metadata.Term}, below the current one's {_snapshotTerm}");
            }

            if (!File.Exists(Path.Combine(_snapshotDirectory, SnapshotFile.FileName(metadata.Index))))
            {
                throw new InvalidOperationException($"snapshot {metadata.Index} is recorded before its file was written");
            }

            Record(metadata);
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>The WAL marker, then the in-memory bounds, old files and segments; the snapshot's file is durable already.</summary>
    private void Record(SnapshotMetadata meta)
    {
        var retainLog = meta.Index <= _lastIndex && _terms.TermAt(meta.Index) == meta.Term;
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

    /// <summary>Header, data and checksum written from where they are: a large snapshot is not copied into one more buffer.</summary>
    private void WriteSnapshotFileCore(Snapshot snapshot)
    {
        var (header, checksum) = SnapshotFile.EncodeFrame(snapshot);
        var finalPath = Path.Combine(_snapshotDirectory, SnapshotFile.FileName(snapshot.Metadata.Index));
        var tempPath = finalPath + ".tmp";
        try
        {
            using (var handle = File.OpenHandle(tempPath, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(handle, header, 0);
                RandomAccess.Write(handle, snapshot.Data, header.Length);
                RandomAccess.Write(handle, checksum, header.Length + (long)snapshot.Data.Length);
                Sync(handle);
            }

            File.Move(tempPath, finalPath, overwrite: true);
            SyncDirectory(_snapshotDirectory);
        }
        catch (Exception)
        {
            Volatile.Write(ref _failed, true);
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
