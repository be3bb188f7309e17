using System.Buffers.Binary;
using System.Text;
using DistSync.Raft;

namespace DistSync.Node.Storage;

/// <summary>
/// Rebuilds the log from WAL records in file order. An entry at index i replaces every entry >= i; a snapshot
/// marker drops the entries it covers (or the whole log when the snapshot did not match it). Records that break
/// these rules were never written by <see cref="RaftStorage"/>, so they are corruption.
/// </summary>
internal sealed class WalReplay
{
    private readonly List<Entry> _log = [];
    private long? _base;
    private long _baseTerm;

    public HardState HardState { get; private set; } = HardState.Initial;

    /// <summary>Snapshot markers replayed so far.</summary>
    public int MarkerCount { get; private set; }

    /// <summary>Replays the records of one valid frame; returns the highest entry index in it (0 if none).</summary>
    public long ReplayFrame(ReadOnlySpan<byte> payload, string path, long payloadOffset)
    {
        long maxIndex = 0;
        var position = 0;
        while (position < payload.Length)
        {
            var at = payloadOffset + position;
            if (payload.Length - position < WalFormat.RecordHeaderBytes)
            {
                throw new WalCorruptionException(path, at, "record header runs past its frame");
            }

            var type = payload[position];
            var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(payload[(position + 1)..]);
            if (bodyLength < 0 || bodyLength > payload.Length - position - WalFormat.RecordHeaderBytes)
            {
                throw new WalCorruptionException(path, at, $"record length {bodyLength} runs past its frame");
            }

            var body = payload.Slice(position + WalFormat.RecordHeaderBytes, bodyLength);
            switch (type)
            {
                case WalFormat.EntryRecord:
                    var entry = ReadEntry(body, path, at);
                    AddEntry(entry, path, at);
                    maxIndex = Math.Max(maxIndex, entry.Index);
                    break;
                case WalFormat.HardStateRecord:
                    HardState = ReadHardState(body, path, at);
                    break;
                case WalFormat.SnapshotMarkerRecord:
                    ApplyMarker(body, path, at);
                    break;
                default:
                    throw new WalCorruptionException(path, at, $"unknown record type {type}");
            }

            position += WalFormat.RecordHeaderBytes + bodyLength;
        }

        return maxIndex;
    }

    /// <summary>
    /// Joins the replayed log to the newest snapshot file and returns the entries after it, checked contiguous.
    /// Returns true in <paramref name="snapshotAheadOfLog"/> when the snapshot's WAL marker was never written.
    /// </summary>
    public List<Entry> Finish(SnapshotMetadata? snapshot, string walDirectory, out bool snapshotAheadOfLog)
    {
        var snapIndex = snapshot?.Index ?? 0;
        var snapTerm = snapshot?.Term ?? 0;
        if (_base is long recorded)
        {
            if (recorded > snapIndex)
            {
                throw new WalCorruptionException(walDirectory, -1,
                    $"the WAL records a snapshot at index {recorded} but the newest snapshot file ends at {snapIndex}");
            }

            if (recorded == snapIndex && _baseTerm != snapTerm)
            {
                throw new WalCorruptionException(walDirectory, -1,
                    $"the WAL records snapshot {recorded} with term {_baseTerm} but the snapshot file has term {snapTerm}");
            }
        }

        snapshotAheadOfLog = snapshot is not null && (_base is null || _base < snapIndex);
        if (snapshotAheadOfLog && Contains(snapIndex) && TermAt(snapIndex) != snapTerm)
        {
            // Raft §7: a snapshot that does not match the log replaces it entirely.
            _log.Clear();
        }

        DropThrough(snapIndex);
        if (_log.Count > 0 && _log[0].Index != snapIndex + 1)
        {
            throw new WalCorruptionException(walDirectory, -1,
                $"the log resumes at index {_log[0].Index} but the snapshot ends at {snapIndex}: entries are missing");
        }

        return _log;
    }

    private void AddEntry(Entry entry, string path, long at)
    {
        if (_base is long covered && entry.Index <= covered)
        {
            throw new WalCorruptionException(path, at, $"entry {entry.Index} written after a snapshot covering {covered}");
        }

        if (_log.Count == 0)
        {
            if (_base is long b && entry.Index == b + 1 && entry.Term < _baseTerm)
            {
                throw new WalCorruptionException(path, at, $"entry {entry.Index} has term {entry.Term} below the snapshot's {_baseTerm}");
            }

            _log.Add(entry);
            return;
        }

        var first = _log[0].Index;
        var last = _log[^1].Index;
        if (entry.Index > last + 1)
        {
            throw new WalCorruptionException(path, at, $"entry {entry.Index} follows entry {last}: the log has a gap");
        }

        if (entry.Index < first)
        {
            // The overwritten prefix lives in segments already compacted away.
            _log.Clear();
            _log.Add(entry);
            return;
        }

        if (entry.Index <= last)
        {
            _log.RemoveRange((int)(entry.Index - first), (int)(last - entry.Index + 1));
        }

        if (_log.Count > 0 && entry.Term < _log[^1].Term)
        {
            throw new WalCorruptionException(path, at, $"entry {entry.Index} has term {entry.Term} below its predecessor's {_log[^1].Term}");
        }

        _log.Add(entry);
    }

    private void ApplyMarker(ReadOnlySpan<byte> body, string path, long at)
    {
        if (body.Length != WalFormat.MarkerBytes)
        {
            throw new WalCorruptionException(path, at, $"snapshot marker of {body.Length} bytes");
        }

        var index = BinaryPrimitives.ReadInt64LittleEndian(body);
        var term = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        var retain = body[16] == 1;
        if (index < 1 || term < 0 || (_base is long previous && index <= previous))
        {
            throw new WalCorruptionException(path, at, $"snapshot marker {index} is not after the previous one");
        }

        if (retain)
        {
            if (Contains(index) && TermAt(index) != term)
            {
                throw new WalCorruptionException(path, at, $"snapshot marker {index}/{term} claims to match an entry of term {TermAt(index)}");
            }

            DropThrough(index);
        }
        else
        {
            _log.Clear();
        }

        _base = index;
        _baseTerm = term;
        MarkerCount++;
    }

    private bool Contains(long index) => _log.Count > 0 && index >= _log[0].Index && index <= _log[^1].Index;

    private long TermAt(long index) => _log[(int)(index - _log[0].Index)].Term;

    private void DropThrough(long index)
    {
        if (_log.Count == 0 || index < _log[0].Index)
        {
            return;
        }

        _log.RemoveRange(0, (int)Math.Min(_log.Count, index - _log[0].Index + 1));
    }

    private static Entry ReadEntry(ReadOnlySpan<byte> body, string path, long at)
    {
        if (body.Length < WalFormat.EntryFixedBytes)
        {
            throw new WalCorruptionException(path, at, $"entry record of {body.Length} bytes");
        }

        var index = BinaryPrimitives.ReadInt64LittleEndian(body);
        var term = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        var type = body[16];
        if (index < 1 || term < 0 || !Enum.IsDefined((EntryType)type))
        {
            throw new WalCorruptionException(path, at, $"entry record with index {index}, term {term}, type {type}");
        }

        return new Entry(index, term, (EntryType)type, body[WalFormat.EntryFixedBytes..].ToArray());
    }

    private static HardState ReadHardState(ReadOnlySpan<byte> body, string path, long at)
    {
        if (body.Length < WalFormat.HardStateFixedBytes)
        {
            throw new WalCorruptionException(path, at, $"hard state record of {body.Length} bytes");
        }

        var term = BinaryPrimitives.ReadInt64LittleEndian(body);
        var commit = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        var idLength = BinaryPrimitives.ReadInt32LittleEndian(body[16..]);
        var idBytes = body[WalFormat.HardStateFixedBytes..];
        if (term < 0 || commit < 0 || idLength < -1 || idLength > WalFormat.MaxIdBytes || idBytes.Length != Math.Max(idLength, 0))
        {
            throw new WalCorruptionException(path, at, $"hard state record with term {term}, commit {commit}, id length {idLength}");
        }

        return new HardState(term, idLength < 0 ? null : Encoding.UTF8.GetString(idBytes), commit);
    }
}
