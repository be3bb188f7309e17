using System.Buffers;
using System.Diagnostics;

using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// The sending side of InstallSnapshot: the core hands over one message with the whole snapshot; the pump cuts it into
/// <see cref="SnapshotChunk"/>s and writes one per turn, after whatever else is queued for the peer. The receiving
/// side (<see cref="RaftApi"/>) reassembles them and gives the core the one message again.
/// </summary>
public sealed partial class HttpRaftTransport
{
    /// <summary>
    /// The snapshot to stream after <paramref name="message"/> arrived while <paramref name="current"/> streams. The
    /// core resends an InstallSnapshot when it hears nothing for an election timeout, which a big snapshot can outlast:
    /// the same snapshot again goes on where it is. A different one (newer, or of a newer term) starts over.
    /// </summary>
    private SnapshotStream StartSnapshot(string peer, SnapshotStream? current, Message message)
    {
        if (current is not null && current.IsFor(message))
        {
            return current;
        }

        if (current is not null)
        {
            LogSnapshotReplaced(peer, current.Index, current.Written, message.Snapshot!.Metadata.Index);
            current.Dispose();
        }

        var next = new SnapshotStream(message);
        LogSnapshotStarting(peer, next.Index, next.TotalBytes);
        return next;
    }

    private void FinishSnapshot(string peer, SnapshotStream snapshot, bool delivered)
    {
        if (delivered)
        {
            LogSnapshotStreamed(peer, snapshot.Index, snapshot.TotalBytes, snapshot.Chunks, (long)Stopwatch.GetElapsedTime(snapshot.StartedAt).TotalMilliseconds);
        }
        else
        {
            LogSnapshotBroken(peer, snapshot.Index, snapshot.Written, snapshot.TotalBytes);
        }

        snapshot.Dispose();
        SnapshotSent?.Invoke(new SnapshotReport(peer, snapshot.Index, delivered));
    }

    [LoggerMessage(2103, LogLevel.Information, "Streaming snapshot {Index} ({Bytes} bytes) to {Peer}")]
    private partial void LogSnapshotStarting(string peer, long index, long bytes);

    [LoggerMessage(2104, LogLevel.Information, "Snapshot {Index} ({Bytes} bytes) streamed to {Peer} in {Chunks} chunks, {Milliseconds} ms")]
    private partial void LogSnapshotStreamed(string peer, long index, long bytes, int chunks, long milliseconds);

    [LoggerMessage(2105, LogLevel.Warning, "Snapshot {Index} to {Peer} cut off after {Written} of {Bytes} bytes: the stream broke")]
    private partial void LogSnapshotBroken(string peer, long index, long written, long bytes);

    [LoggerMessage(2106, LogLevel.Information, "Snapshot {Index} to {Peer} given up after {Written} bytes for snapshot {Newer}")]
    private partial void LogSnapshotReplaced(string peer, long index, long written, long newer);

    /// <summary>One InstallSnapshot on its way to a peer: its chunks, and one pooled buffer to encode each into.</summary>
    private sealed class SnapshotStream : IDisposable
    {
        private readonly Message _message;
        private readonly IEnumerator<SnapshotChunk> _chunks;
        private byte[]? _frame;

        public SnapshotStream(Message message)
        {
            _message = message;
            _chunks = SnapshotChunk.Split(message).GetEnumerator();
            StartedAt = Stopwatch.GetTimestamp();
        }

        public long Index => _message.Snapshot!.Metadata.Index;

        public long TotalBytes => _message.Snapshot!.Data.Length;

        public long StartedAt { get; }

        public int Chunks { get; private set; }

        public long Written { get; private set; }

        /// <summary>The same snapshot, sent by the same leader in the same term.</summary>
        public bool IsFor(Message message) =>
            message.Term == _message.Term && message.Snapshot!.Metadata.Index == Index && message.Snapshot.Metadata.Term == _message.Snapshot!.Metadata.Term;

        /// <summary>Writes the next chunk; true when it was the last.</summary>
        public async Task<bool> WriteNextChunkAsync(Stream stream, CancellationToken cancellationToken)
        {
            if (!_chunks.MoveNext())
            {
                throw new InvalidOperationException("The snapshot was already streamed whole.");
            }

            var chunk = _chunks.Current;
            var size = RaftStreamFrame.ChunkFrameBytes(chunk);
            if (_frame is null || _frame.Length < size)
            {
                if (_frame is not null)
                {
                    ArrayPool<byte>.Shared.Return(_frame);
                }

                _frame = ArrayPool<byte>.Shared.Rent(size);
            }

            var length = RaftStreamFrame.EncodeChunk(chunk, _frame);
            await WriteFrameAsync(stream, _frame.AsMemory(0, length), cancellationToken);
            Chunks++;
            Written += chunk.Data.Length;
            return chunk.IsLast;
        }

        public void Dispose()
        {
            _chunks.Dispose();
            if (_frame is not null)
            {
                ArrayPool<byte>.Shared.Return(_frame);
                _frame = null;
            }
        }
    }
}
