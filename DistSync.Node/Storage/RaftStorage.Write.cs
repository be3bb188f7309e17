using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using DistSync.Raft;

namespace DistSync.Node.Storage;

public sealed partial class RaftStorage
{
    private static readonly byte[] Zeros = new byte[64 * 1024];

    /// <summary>
    /// Makes one Ready durable: <paramref name="entries"/> (contiguous, starting at most one past the last index; an
    /// index at or below the last one overwrites that suffix) and then <paramref name="hardState"/> if given.
    /// All of it goes out in one write and one fsync unless it exceeds <see cref="RaftStorageOptions.MaxFrameBytes"/>.
    /// Returns only once it is on disk; only then may the host send the Ready's messages. Every frame is fsynced
    /// before the next is written, so only the last frame of the log can ever be torn: in a zero-filled segment
    /// nothing else would keep a later frame from reaching the disk before an earlier one.
    /// </summary>
    public void Save(HardState? hardState, IReadOnlyList<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Enter();
        try
        {
            if (hardState is null && entries.Count == 0)
            {
                return;
            }

            ValidateBatch(hardState, entries);
            WriteRecords(hardState, entries, marker: null);
            for (var i = 0; i < entries.Count; i++)
            {
                _terms.Append(entries[i].Index, entries[i].Term);
            }

            if (entries.Count > 0)
            {
                _lastIndex = entries[^1].Index;
            }

            if (hardState is { } state)
            {
                _hardState = state;
            }
        }
        finally
        {
            Exit();
        }
    }

    private void ValidateBatch(HardState? hardState, IReadOnlyList<Entry> entries)
    {
        if (hardState is { } state)
        {
            if (state.Term < _hardState.Term || state.Commit < _hardState.Commit)
            {
                throw new InvalidOperationException(
                    $"hard state went backwards: term {_hardState.Term}→{state.Term}, commit {_hardState.Commit}→{state.Commit}");
            }

            if (state.VotedFor is not null && Encoding.UTF8.GetByteCount(state.VotedFor) > WalFormat.MaxIdBytes)
            {
                throw new ArgumentException($"votedFor is longer than {WalFormat.MaxIdBytes} bytes", nameof(hardState));
            }
        }

        if (entries.Count == 0)
        {
            return;
        }

        var first = entries[0].Index;
        if (first <= _snapshotIndex || first > _lastIndex + 1)
        {
            throw new InvalidOperationException(
                $"entries start at {first}; they must start after the snapshot ({_snapshotIndex}) and at most at {_lastIndex + 1}");
        }

        if (first <= _lastIndex && first <= _hardState.Commit)
        {
            throw new InvalidOperationException($"entry {first} would overwrite a committed entry (commit {_hardState.Commit})");
        }

        var previousTerm = _terms.TermAt(first - 1);
        var maxRecord = _options.MaxFrameBytes;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != first + i)
            {
                throw new InvalidOperationException($"entries are not contiguous: {entry.Index} at position {i} after {first}");
            }

            if (entry.Term < previousTerm)
            {
                throw new InvalidOperationException($"entry {entry.Index} has term {entry.Term} below its predecessor's {previousTerm}");
            }

            if (WalFormat.EntryRecordBytes(entry) > maxRecord)
            {
                throw new ArgumentException($"entry {entry.Index} of {entry.Data.Length} bytes does not fit in a frame of {maxRecord}", nameof(entries));
            }

            previousTerm = entry.Term;
        }
    }

    /// <summary>Writes entries, then the hard state, then a snapshot marker, as frames of at most MaxFrameBytes.</summary>
    private void WriteRecords(HardState? hardState, IReadOnlyList<Entry> entries, SnapshotMark? marker)
    {
        var hardStateBytes = hardState is { } state ? WalFormat.HardStateRecordBytes(state) : 0;
        var total = entries.Count + (hardState is null ? 0 : 1) + (marker is null ? 0 : 1);
        var start = 0;
        while (start < total)
        {
            long payload = 0;
            var end = start;
            while (end < total)
            {
                var size = RecordBytes(end, entries, hardStateBytes);
                if (end > start && payload + size > _options.MaxFrameBytes)
                {
                    break;
                }

                payload += size;
                end++;
            }

            WriteFrame(start, end, (int)payload, hardState, entries, marker);
            start = end;
        }
    }

    private static int RecordBytes(int record, IReadOnlyList<Entry> entries, int hardStateBytes)
    {
        if (record < entries.Count)
        {
            return WalFormat.EntryRecordBytes(entries[record]);
        }

        return record == entries.Count && hardStateBytes > 0 ? hardStateBytes : WalFormat.MarkerRecordBytes;
    }

    private void WriteFrame(int start, int end, int payload, HardState? hardState, IReadOnlyList<Entry> entries, SnapshotMark? marker)
    {
        var frameLength = payload + WalFormat.FrameOverhead;
        var segment = _segments[^1];
        if (segment.HasContent && segment.Length + frameLength > _options.SegmentBytes)
        {
            segment = CreateSegment(segment.Sequence + 1);
        }

        EnsureAllocated(segment, segment.Length + frameLength);

        var buffer = ArrayPool<byte>.Shared.Rent(frameLength);
        try
        {
            var frame = buffer.AsSpan(0, frameLength);
            var position = WalFormat.FrameHeaderBytes;
            long maxIndex = 0;
            for (var record = start; record < end; record++)
            {
                if (record < entries.Count)
                {
                    position += WalFormat.WriteEntry(frame[position..], entries[record]);
                    maxIndex = entries[record].Index;
                }
                else if (record == entries.Count && hardState is { } state)
                {
                    position += WalFormat.WriteHardState(frame[position..], state);
                }
                else if (marker is { } mark)
                {
                    position += WalFormat.WriteMarker(frame[position..], mark.Index, mark.Term, mark.RetainLog);
                }
            }

            if (position != WalFormat.FrameHeaderBytes + payload)
            {
                throw new InvalidOperationException($"frame encoded {position} bytes, sized {WalFormat.FrameHeaderBytes + payload}");
            }

            WalFormat.SealFrame(frame, segment.Salt);
            try
            {
                RandomAccess.Write(_active!, frame, segment.Length);
                Sync(_active!);
            }
            catch (Exception)
            {
                _failed = true;
                throw;
            }

            segment.Length += frameLength;
            segment.HasContent = true;
            segment.MaxEntryIndex = Math.Max(segment.MaxEntryIndex, maxIndex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Zero-fills the active segment past <paramref name="needed"/> bytes, durably, when the frames are about to reach its end.</summary>
    private void EnsureAllocated(WalSegment segment, long needed)
    {
        if (needed <= segment.Allocated || _options.PreallocateBytes == 0)
        {
            return;
        }

        var target = Math.Max(needed, Math.Min(segment.Allocated + _options.PreallocateBytes, _options.SegmentBytes));
        try
        {
            for (var offset = segment.Allocated; offset < target; offset += Zeros.Length)
            {
                RandomAccess.Write(_active!, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, target - offset)), offset);
            }

            Sync(_active!); // the new size and blocks are journalled once here, not at every append
        }
        catch (Exception)
        {
            _failed = true;
            throw;
        }

        segment.Allocated = target;
    }

    /// <summary>
    /// Cuts the zero-filled space off the end of the active segment before the next one is created: only the last
    /// segment may end in zeros, so damage anywhere else is never mistaken for unused space.
    /// </summary>
    private void TrimActiveSegment()
    {
        if (_active is null || _segments.Count == 0 || _segments[^1].Allocated == _segments[^1].Length)
        {
            return;
        }

        var segment = _segments[^1];
        try
        {
            RandomAccess.SetLength(_active, segment.Length);
            Sync(_active);
        }
        catch (Exception)
        {
            _failed = true;
            throw;
        }

        segment.Allocated = segment.Length;
    }

    /// <summary>Creates segment <paramref name="sequence"/> with its header and the current hard state, durably, and makes it active.</summary>
    private WalSegment CreateSegment(long sequence)
    {
        TrimActiveSegment();
        var path = Path.Combine(_walDirectory, WalFormat.SegmentFileName(sequence));
        Span<byte> saltBytes = stackalloc byte[4];
        RandomNumberGenerator.Fill(saltBytes);
        var salt = Math.Max(1u, BitConverter.ToUInt32(saltBytes));

        var hardStateBytes = WalFormat.HardStateRecordBytes(_hardState);
        var length = WalFormat.SegmentHeaderBytes + WalFormat.FrameOverhead + hardStateBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            WalFormat.WriteSegmentHeader(span, sequence, salt);
            WalFormat.WriteHardState(span[(WalFormat.SegmentHeaderBytes + WalFormat.FrameHeaderBytes)..], _hardState);
            WalFormat.SealFrame(span[WalFormat.SegmentHeaderBytes..], salt);
            var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
            try
            {
                RandomAccess.Write(handle, span, 0);
                Sync(handle);
                SyncDirectory(_walDirectory);
            }
            catch (Exception)
            {
                handle.Dispose();
                _failed = true;
                throw;
            }

            _active?.Dispose();
            _active = handle;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var segment = new WalSegment(sequence, path, salt, length);
        _segments.Add(segment);
        return segment;
    }
}
