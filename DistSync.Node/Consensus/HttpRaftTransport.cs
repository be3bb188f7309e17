using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DistSync.Node.Hosting;
using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// Raft over the node's own HTTP port. Each peer gets one long-lived request (<c>POST /internal/raft/stream</c>)
/// whose chunked body carries <see cref="RaftStreamFrame"/>s: a sender drains that peer's bounded queue into one
/// frame and flushes it, so a message costs a socket write rather than a request and its response, a burst of
/// appends travels as one frame, and a slow peer only delays itself. Appends carrying entries are traced
/// (<c>raft.append_entries</c>, its context inside the frame); heartbeats are not. Commands a follower forwards to
/// the leader travel the same way (<see cref="MessageType.Forward"/>). An InstallSnapshot goes as
/// <see cref="SnapshotChunk"/>s, one between each two batches, so a snapshot of any size fits the frame limit and
/// heartbeats keep flowing while it streams (HttpRaftTransport.Snapshots.cs).
/// </summary>
public sealed partial class HttpRaftTransport : IRaftTransport, IAsyncDisposable
{
    public const string HttpClientName = "raft";

    public const string StreamPath = "/internal/raft/stream";

    private const int QueueCapacity = 16_384;
    private const int MaxMessagesPerFrame = 1_024;
    private const long MaxFrameBatchBytes = 8 * 1024 * 1024;
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HealthyStreamAge = TimeSpan.FromSeconds(1);

    // Peers are added on the first message to them (a member added at run time) and dropped when they leave the configuration.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PeerQueue> _queues = new(StringComparer.Ordinal);
    private readonly Lock _queuesGate = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private readonly IHttpClientFactory _clients;
    private readonly PeerDirectory _peers;
    private readonly PeerCredentials _credentials;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _refusalLogged = new(StringComparer.Ordinal);
    private readonly RaftTelemetry _telemetry;
    private readonly ILogger<HttpRaftTransport> _logger;

    public HttpRaftTransport(IHttpClientFactory clients, PeerDirectory peers, PeerCredentials credentials, RaftTelemetry telemetry, ILogger<HttpRaftTransport> logger)
    {
        _clients = clients;
        _peers = peers;
        _credentials = credentials;
        _telemetry = telemetry;
        _logger = logger;
        peers.Changed += DropFormerPeers;
    }

    public event Action<string>? PeerUnreachable;

    public event Action<Message>? Undelivered;

    public event Action<SnapshotReport>? SnapshotSent;

    public void Send(IReadOnlyList<Message> messages)
    {
        foreach (var message in messages)
        {
            var peer = _queues.TryGetValue(message.To, out var known) ? known : AddPeer(message.To);
            if (peer is null || !peer.Queue.Writer.TryWrite(message))
            {
                _telemetry.MessageDropped(message.To);
                ReportUndelivered(message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IRaftTransport, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _peers.Changed -= DropFormerPeers;
        await _stopping.CancelAsync();
        PeerQueue[] all;
        lock (_queuesGate)
        {
            all = [.. _queues.Values];
            _queues.Clear();
        }

        foreach (var peer in all)
        {
            peer.Queue.Writer.TryComplete();
        }

        await Task.WhenAll(all.Select(p => p.Sender)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var peer in all)
        {
            peer.Stop.Dispose();
        }

        _stopping.Dispose();
    }

    /// <summary>The queue and sender of a peer whose address is known, made once; null for a node nobody knows how to reach.</summary>
    private PeerQueue? AddPeer(string peer)
    {
        if (peer == _peers.SelfId || !_peers.TryGetAddress(peer, out _) || _stopping.IsCancellationRequested)
        {
            return null;
        }

        lock (_queuesGate)
        {
            if (_queues.TryGetValue(peer, out var existing))
            {
                return existing;
            }

            var queue = Channel.CreateBounded<Message>(new BoundedChannelOptions(QueueCapacity)
            {
                SingleReader = true,
                // Wait mode: TryWrite answers false when full (DropWrite would say true and drop it silently).
                FullMode = BoundedChannelFullMode.Wait,
            });
            var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var added = new PeerQueue(queue, stop, Task.Run(() => SendLoopAsync(peer, queue.Reader, stop.Token)));
            _queues[peer] = added;
            return added;
        }
    }

    /// <summary>A node removed from the configuration gets no more streams: its sender stops, and what was queued is dropped.</summary>
    private void DropFormerPeers()
    {
        var members = _peers.AllIds;
        lock (_queuesGate)
        {
            foreach (var (id, peer) in _queues.Where(q => !members.Contains(q.Key)).ToList())
            {
                _queues.TryRemove(id, out _);
                peer.Queue.Writer.TryComplete();
                peer.Stop.Cancel();
            }
        }
    }

    private sealed record PeerQueue(Channel<Message> Queue, CancellationTokenSource Stop, Task Sender);

    private async Task SendLoopAsync(string peer, ChannelReader<Message> queue, CancellationToken cancellationToken)
    {
        // The loop outlives whatever request constructed the transport: it must not inherit its span.
        Activity.Current = null;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var sent = new StrongBox<long>();
            var opened = Stopwatch.GetTimestamp();
            var failure = await StreamAsync(peer, queue, sent, cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            // A stream that carried frames for a while was healthy: reconnect at once. One that broke at once
            // (the peer is down, or refuses us: a wrong cluster key shows only as a reset) backs off further.
            var healthy = sent.Value > 0 && Stopwatch.GetElapsedTime(opened) > HealthyStreamAge;
            failures = healthy ? 1 : failures + 1;
            LogStreamEnded(peer, sent.Value, failure);

            // First say the stream broke, then drop what is still queued (Raft resends from its own state): a
            // forwarded command queued in between is then reported unsent, never failed and then sent later.
            PeerUnreachable?.Invoke(peer);
            while (queue.TryRead(out var dropped))
            {
                ReportUndelivered(dropped);
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 10 * (1 << Math.Min(failures, 7)))), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void ReportUndelivered(Message message)
    {
        if (message.Type == MessageType.Forward)
        {
            Undelivered?.Invoke(message);
        }
    }

    /// <summary>Runs one stream to <paramref name="peer"/> until it breaks; returns why.</summary>
    private async Task<string> StreamAsync(string peer, ChannelReader<Message> queue, StrongBox<long> sent, CancellationToken cancellationToken)
    {
        try
        {
            using var request = NewRequest(peer, StreamPath, new PumpContent((stream, ct) => PumpAsync(peer, queue, stream, sent, ct)));
            using var response = await _clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                // Another cluster's node, or ours with another key: say so loudly, not as a routine reconnect.
                // At most once per 30 s per peer: a refused stream is retried every second.
                var now = Stopwatch.GetTimestamp();
                if (!_refusalLogged.TryGetValue(peer, out var last) || Stopwatch.GetElapsedTime(last, now) > TimeSpan.FromSeconds(30))
                {
                    _refusalLogged[peer] = now;
                    LogRefusedByPeer(peer, (int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
                }
            }

            return $"peer answered HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex)
        {
            // Whatever broke the stream (refused, reset, write timeout), the answer is the same: reconnect.
            return ex.InnerException?.Message ?? ex.Message;
        }
    }

    /// <summary>
    /// Writes the peer's queue into the request body, one frame per drained batch, until cancelled or broken. While a
    /// snapshot streams, each turn writes what is queued, then one chunk: other messages wait for one chunk at most.
    /// </summary>
    private async Task PumpAsync(string peer, ChannelReader<Message> queue, Stream stream, StrongBox<long> sent, CancellationToken cancellationToken)
    {
        // This runs inside the stream request's (unrecorded) HttpClient span: append spans must not be its children.
        Activity.Current = null;
        var batch = new List<Message>(MaxMessagesPerFrame);
        SnapshotStream? snapshot = null;
        try
        {
            // An empty first frame makes the peer's handler start now, so a refusal shows before there is traffic.
            await WriteFrameAsync(stream, RaftStreamFrame.Encode([], null), cancellationToken);
            while (snapshot is not null || await queue.WaitToReadAsync(cancellationToken))
            {
                batch.Clear();
                long bytes = 0;
                // Bounded by count and by bytes, so a follower catching up never gets a frame over the limit.
                while (batch.Count < MaxMessagesPerFrame && bytes < MaxFrameBatchBytes && queue.TryRead(out var message))
                {
                    if (message is { Type: MessageType.InstallSnapshot, Snapshot: not null })
                    {
                        snapshot = StartSnapshot(peer, snapshot, message);
                        continue;
                    }

                    batch.Add(message);
                    bytes += PayloadBytes(message);
                }

                if (batch.Count > 0)
                {
                    await WriteBatchAsync(peer, batch, stream, cancellationToken);
                    sent.Value++;
                }

                if (snapshot is not null)
                {
                    var done = await snapshot.WriteNextChunkAsync(stream, cancellationToken);
                    sent.Value++;
                    if (done)
                    {
                        FinishSnapshot(peer, snapshot, delivered: true);
                        snapshot = null;
                    }
                }
            }
        }
        catch (Exception) when (snapshot is not null)
        {
            FinishSnapshot(peer, snapshot, delivered: false);
            snapshot = null;
            throw;
        }
        finally
        {
            snapshot?.Dispose();
        }
    }

    private async Task WriteBatchAsync(string peer, List<Message> batch, Stream stream, CancellationToken cancellationToken)
    {
        using var activity = StartAppendSpan(peer, batch);
        try
        {
            await WriteFrameAsync(stream, RaftStreamFrame.Encode(batch, activity?.Context), cancellationToken);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }

    private static async Task WriteFrameAsync(Stream stream, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        // A peer that stops reading (hung, or gone without a reset) must not hold the stream forever; a big
        // frame (a snapshot, a catch-up batch) gets time for its size at a modest 16 MB/s.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(WriteTimeout + TimeSpan.FromSeconds(frame.Length / (16.0 * 1024 * 1024)));
        await stream.WriteAsync(frame, timeout.Token);
        await stream.FlushAsync(timeout.Token);
    }

    private static long PayloadBytes(Message message)
    {
        long bytes = 64;
        foreach (var entry in message.Entries)
        {
            bytes += 32 + entry.Data.Length;
        }

        return bytes;
    }

    private Activity? StartAppendSpan(string peer, List<Message> batch)
    {
        var entries = 0;
        foreach (var message in batch)
        {
            if (message.Type == MessageType.Append)
            {
                entries += message.Entries.Count;
            }
        }

        return entries > 0 ? _telemetry.StartAppendEntries(peer, entries, batch[^1].Term) : null;
    }

    private HttpRequestMessage NewRequest(string peer, string path, HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_peers.AddressOf(peer), path)) { Content = content };
        _credentials.Apply(request);
        return request;
    }

    [LoggerMessage(2102, LogLevel.Warning, "{Peer} refused this node's Raft stream with HTTP {Status}: {Problem}")]
    private partial void LogRefusedByPeer(string peer, int status, string problem);

    [LoggerMessage(2101, LogLevel.Debug, "Raft stream to {Peer} ended after {Frames} frames: {Reason}")]
    private partial void LogStreamEnded(string peer, long frames, string reason);

    /// <summary>A request body that never ends by itself: the pump writes frames until the stream breaks.</summary>
    private sealed class PumpContent(Func<Stream, CancellationToken, Task> pump) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            pump(stream, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            pump(stream, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
