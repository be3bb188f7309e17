using System.Buffers.Binary;
using System.Diagnostics;
using DistSync.Node.Storage;
using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// Snapshots the host takes of its state machines, to compact the log. Only taking each machine's bytes happens on
/// the loop, where they are consistent with the applied index. Putting them together, writing and fsyncing the file
/// happen on a pool thread beside the WAL writer, so ticks, heartbeats and appends go on meanwhile (for 100 MB on the
/// 2-core test machine beside a parallel build: 0.14 to 0.69 s, against 50 to 180 ms on the loop to take the test
/// machine's bytes; the election timeout is 0.5 to 1 s). The WAL writer then
/// records it in log order (marker, then deleting the segments it covers), and only then does the core drop the
/// covered entries from memory: nothing is compacted before the snapshot covering it is durable.
/// </summary>
public sealed partial class RaftHost
{
    private Task _snapshotSave = Task.CompletedTask;

    /// <summary>True from taking a snapshot until the loop learns it was recorded: one at a time.</summary>
    private bool _snapshotInFlight;

    /// <summary>Set by the WAL writer once the snapshot is recorded (or found superseded); read by the loop.</summary>
    private (SnapshotSave Save, bool Recorded)? _snapshotSaved;

    private void CompactIfDue(RaftNode raft, RaftStorage storage, RaftWalWriter writer)
    {
        if (_snapshotInFlight || _appliedIndex - _snapshotIndex < _options.SnapshotEvery)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var (metadata, parts) = TakeMachines(raft);
        var taken = Stopwatch.GetElapsedTime(started);
        _snapshotInFlight = true;
        _snapshotSave = Task.Run(() => WriteSnapshot(storage, writer, metadata, parts, taken));
    }

    /// <summary>
    /// On the loop: every machine's bytes and the clock's, consistent with the applied index, and the configuration in
    /// effect there (as the core records it when it compacts to this snapshot). Compaction and backups both take these.
    /// </summary>
    private (SnapshotMetadata Metadata, List<(byte Tag, byte[] Data)> Parts) TakeMachines(RaftNode raft)
    {
        var config = raft.ConfigurationAt(_appliedIndex);
        var metadata = new SnapshotMetadata(_appliedIndex, _appliedTerm, config.Voters, config.Learners);
        List<(byte Tag, byte[] Data)> parts = [(ClockSnapshotTag, EncodeClock(_appliedClockMs))];
        parts.AddRange(_machines.Values.OrderBy(m => m.Tag).Select(m => (m.Tag, Data: m.Snapshot())));
        return (metadata, parts);
    }

    /// <summary>Off the loop: the file, durably; then the WAL writer records it, in order with the log's writes.</summary>
    private void WriteSnapshot(RaftStorage storage, RaftWalWriter writer, SnapshotMetadata metadata, List<(byte Tag, byte[] Data)> parts, TimeSpan taken)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var save = new SnapshotSave(new Snapshot(metadata, CombineMachines(parts)), taken, started);
            if (save.Snapshot.Data.Length > _options.MaxSnapshotBytes)
            {
                LogSnapshotTooLarge(metadata.Index, save.Snapshot.Data.Length, _options.MaxSnapshotBytes);
            }

            storage.WriteSnapshotFile(save.Snapshot);
            writer.EnqueueSnapshotRecord(metadata, recorded =>
            {
                // A field, not a queued input, so a full queue cannot lose it.
                lock (_durableGate)
                {
                    _snapshotSaved = (save, recorded);
                }

                _inputs.Writer.TryWrite(new LoopInput.Wake());
            });
        }
        catch (Exception ex)
        {
            // As for a failed WAL write: the disk can no longer be trusted with what this node promises.
            LogLoopFailed(ex);
            Environment.FailFast($"Raft snapshot write failed: {ex.Message}", ex);
        }
    }

    /// <summary>On the loop, between Readies: the snapshot is durable and recorded, so the core may drop what it covers.</summary>
    private void FinishSnapshotIfSaved(RaftNode raft)
    {
        (SnapshotSave Save, bool Recorded)? saved;
        lock (_durableGate)
        {
            saved = _snapshotSaved;
            _snapshotSaved = null;
        }

        if (saved is not { } done)
        {
            return;
        }

        _snapshotInFlight = false;
        var snapshot = done.Save.Snapshot;
        if (!done.Recorded)
        {
            return; // a newer snapshot from the leader was installed meanwhile
        }

        raft.Compact(snapshot.Metadata.Index, snapshot.Data);
        _snapshotIndex = Math.Max(_snapshotIndex, snapshot.Metadata.Index);
        LogCompacted(snapshot.Metadata.Index, snapshot.Data.Length, (long)done.Save.Taken.TotalMilliseconds,
            (long)Stopwatch.GetElapsedTime(done.Save.WriteStartedAt).TotalMilliseconds);
    }

    /// <summary>
    /// Snapshot layout: <c>u16 count</c>, then per part <c>u8 tag | i32 length | bytes</c>: the replicated clock
    /// (tag 0, see <see cref="ClockSnapshotTag"/>), then each machine.
    /// </summary>
    internal static byte[] CombineMachines(IReadOnlyList<(byte Tag, byte[] Data)> parts)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(2 + parts.Sum(p => 5 + p.Data.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)parts.Count);
        var offset = 2;
        foreach (var (tag, data) in parts)
        {
            buffer[offset] = tag;
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(offset + 1), data.Length);
            data.CopyTo(buffer.AsSpan(offset + 5));
            offset += 5 + data.Length;
        }

        return buffer;
    }

    /// <summary>The parts <see cref="CombineMachines"/> put together, in order (for a restore that rewrites one).</summary>
    internal static List<(byte Tag, byte[] Data)> SplitMachines(ReadOnlySpan<byte> snapshot)
    {
        var parts = new List<(byte Tag, byte[] Data)>();
        if (snapshot.Length < 2)
        {
            return parts;
        }

        var count = BinaryPrimitives.ReadUInt16LittleEndian(snapshot);
        var offset = 2;
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(offset + 1)..]);
            parts.Add((snapshot[offset], snapshot.Slice(offset + 5, length).ToArray()));
            offset += 5 + length;
        }

        return parts;
    }

    private void RestoreMachines(ReadOnlySpan<byte> snapshot)
    {
        var restored = new HashSet<byte>();
        if (snapshot.Length >= 2)
        {
            var count = BinaryPrimitives.ReadUInt16LittleEndian(snapshot);
            var offset = 2;
            for (var i = 0; i < count; i++)
            {
                var tag = snapshot[offset];
                var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(offset + 1)..]);
                if (tag == ClockSnapshotTag)
                {
                    RestoreClock(snapshot.Slice(offset + 5, length));
                }
                else if (_machines.TryGetValue(tag, out var machine))
                {
                    machine.Restore(snapshot.Slice(offset + 5, length));
                    restored.Add(tag);
                }

                offset += 5 + length;
            }
        }

        // A machine added after the snapshot was taken starts from its initial state.
        foreach (var machine in _machines.Values.Where(m => !restored.Contains(m.Tag)))
        {
            machine.Restore([]);
        }
    }

    [LoggerMessage(2004, LogLevel.Information,
        "Snapshot at index {Index} ({Bytes} bytes): taken on the loop in {TakenMs} ms, put together and written beside it in {WrittenMs} ms; log compacted")]
    private partial void LogCompacted(long index, int bytes, long takenMs, long writtenMs);

    [LoggerMessage(2009, LogLevel.Information, "Installing snapshot {Index} ({Bytes} bytes) from leader {Leader}")]
    private partial void LogInstalling(long index, int bytes, string leader);

    [LoggerMessage(2010, LogLevel.Warning,
        "Snapshot at index {Index} is {Bytes} bytes, more than DistSync:Raft:MaxSnapshotBytes ({Max}): followers with that limit will refuse it")]
    private partial void LogSnapshotTooLarge(long index, int bytes, long max);

    /// <summary>A snapshot on its way to disk: how long taking it held the loop, and when the rest began.</summary>
    private sealed record SnapshotSave(Snapshot Snapshot, TimeSpan Taken, long WriteStartedAt);
}
