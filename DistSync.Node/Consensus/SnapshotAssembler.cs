using System.IO.Hashing;

using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// Puts one sender's snapshot back together from its <see cref="SnapshotChunk"/>s, and hands out only a complete,
/// verified one, as the InstallSnapshot message it was cut from. Chunks must come in order: offset 0 starts (or
/// restarts) an assembly, every next chunk must begin exactly where the received bytes end, and its running checksum
/// must match them. One assembly at a time, in a buffer of the snapshot's final size (which becomes the snapshot's
/// data, so nothing is copied twice), allocated only for a size up to <c>maxBytes</c>.
/// </summary>
/// <remarks>Not thread-safe: one per incoming stream, used by the task that reads it.</remarks>
public sealed class SnapshotAssembler
{
    private readonly long _maxBytes;
    private Assembly? _current;
    private long _term;

    public SnapshotAssembler(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        _maxBytes = Math.Min(maxBytes, Array.MaxLength);
    }

    /// <summary>Bytes of the snapshot being assembled received so far (0 when none is).</summary>
    public long ReceivedBytes => _current?.Received ?? 0;

    /// <summary>The snapshot being assembled, if any.</summary>
    public SnapshotMetadata? Assembling => _current?.First.Metadata;

    /// <summary>
    /// Takes one chunk. <paramref name="completed"/> is the whole InstallSnapshot when the outcome is
    /// <see cref="SnapshotChunkOutcome.Completed"/>, else null.
    /// </summary>
    public SnapshotChunkOutcome Add(SnapshotChunk chunk, out Message? completed)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        completed = null;
        if (chunk.Term < _term)
        {
            return SnapshotChunkOutcome.Stale;
        }

        if (_current is null || !_current.IsOf(chunk))
        {
            if (chunk.Offset != 0)
            {
                return SnapshotChunkOutcome.OutOfOrder;
            }

            if (chunk.TotalBytes > _maxBytes)
            {
                return SnapshotChunkOutcome.TooLarge;
            }

            return Start(chunk, out completed);
        }

        if (chunk.Offset == 0)
        {
            // The sender began this snapshot again (a new stream, a retry): so do we.
            return Start(chunk, out completed);
        }

        if (chunk.Offset + chunk.Data.Length <= _current.Received)
        {
            return SnapshotChunkOutcome.Duplicate;
        }

        if (chunk.Offset != _current.Received)
        {
            _current = null;
            return SnapshotChunkOutcome.OutOfOrder;
        }

        return Append(chunk, SnapshotChunkOutcome.Continued, out completed);
    }

    private SnapshotChunkOutcome Start(SnapshotChunk chunk, out Message? completed)
    {
        _term = chunk.Term;
        _current = new Assembly(chunk);
        return Append(chunk, SnapshotChunkOutcome.Started, out completed);
    }

    private SnapshotChunkOutcome Append(SnapshotChunk chunk, SnapshotChunkOutcome outcome, out Message? completed)
    {
        completed = null;
        var assembly = _current!;
        var target = assembly.Data.AsSpan((int)assembly.Received, chunk.Data.Length);
        chunk.Data.Span.CopyTo(target);
        assembly.Crc.Append(target);
        assembly.Received += chunk.Data.Length;
        if (assembly.Crc.GetCurrentHashAsUInt32() != chunk.Checksum)
        {
            _current = null;
            return SnapshotChunkOutcome.ChecksumMismatch;
        }

        if (assembly.Received < assembly.Data.Length)
        {
            return outcome;
        }

        _current = null;
        var first = assembly.First;
        completed = new Message
        {
            Type = MessageType.InstallSnapshot,
            From = first.From,
            To = first.To,
            Term = first.Term,
            Index = first.Metadata.Index,
            LogTerm = first.Metadata.Term,
            Commit = chunk.Commit,
            Snapshot = new Snapshot(first.Metadata, assembly.Data),
        };
        return SnapshotChunkOutcome.Completed;
    }

    /// <summary>A snapshot being put together; <see cref="First"/> is its offset-0 chunk (whose data is not kept).</summary>
    private sealed class Assembly(SnapshotChunk first)
    {
        public SnapshotChunk First { get; } = first with { Data = default };

        public byte[] Data { get; } = GC.AllocateUninitializedArray<byte>((int)first.TotalBytes);

        public Crc32 Crc { get; } = new();

        public long Received { get; set; }

        /// <summary>Same sender, term and snapshot: a chunk of this assembly.</summary>
        public bool IsOf(SnapshotChunk chunk) =>
            chunk.From == First.From && chunk.To == First.To && chunk.Term == First.Term && chunk.TotalBytes == First.TotalBytes
            && chunk.Metadata.Index == First.Metadata.Index && chunk.Metadata.Term == First.Metadata.Term;
    }
}
