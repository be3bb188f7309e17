using System.Buffers;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Raft;
using DistSync.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Consensus;

/// <summary>
/// The sending side of the peer stream against a real HTTP peer on loopback: whoever calls
/// <see cref="HttpRaftTransport.Send"/> (the Raft loop, the WAL writer) is never held by a peer that stops reading.
/// </summary>
public sealed class HttpRaftTransportTests
{
    private static Message Append(long index, int bytes) => new()
    {
        Type = MessageType.Append, From = "node1", To = "node2", Term = 1, Index = index - 1, LogTerm = 1,
        Entries = [new Entry(index, 1, EntryType.Command, new byte[bytes])],
    };

    [Fact]
    public async Task Send_ToAPeerThatStoppedReading_ReturnsAtOnceWhileTheWritesWait()
    {
        // The peer reads the opening frame and nothing more, so the socket buffers fill and writes cannot finish:
        // the sender goes on asynchronously and Send (the Raft loop, the WAL writer) must not wait for it.
        await using var peer = await FakePeer.StartAsync(stopReadingAfter: 1);
        await using var transport = peer.NewTransport();

        // The first message opens the stream (a peer's stream starts with its first message).
        var sending = Task.Run(() =>
        {
            for (var i = 1; i <= 200; i++)
            {
                transport.Send([Append(i, bytes: 256 * 1024)]); // 50 MB in all, far beyond what loopback buffers hold
            }
        }, TestContext.Current.CancellationToken);

        await sending.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await peer.WaitForFramesAsync(1);
        Assert.Equal(1, peer.Frames);
    }

    [Fact]
    public async Task Send_InstallSnapshotOverTheFrameLimit_GoesInChunksWithHeartbeatsBetweenThem()
    {
        // 70 MB is more than one frame may carry; the peer reads slowly, so the chunks queue up in the socket.
        var install = SnapshotChunkTests.Install(70 * 1024 * 1024);
        await using var peer = await RecordingPeer.StartAsync(delayPerChunk: TimeSpan.FromMilliseconds(2));
        await using var transport = NewTransport(peer.Address);
        var report = new TaskCompletionSource<SnapshotReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        transport.SnapshotSent += r => report.TrySetResult(r);

        transport.Send([install]);
        // A leader's heartbeats, every 10 ms while the snapshot streams.
        using var heartbeats = new CancellationTokenSource();
        var beating = Task.Run(async () =>
        {
            while (!heartbeats.IsCancellationRequested)
            {
                transport.Send([new Message { Type = MessageType.Heartbeat, From = "node1", To = "node2", Term = 3 }]);
                await Task.Delay(10, CancellationToken.None);
            }
        }, TestContext.Current.CancellationToken);
        var sent = await report.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        var received = await peer.Snapshot.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await heartbeats.CancelAsync();
        await beating;

        Assert.Equal(new SnapshotReport("node2", 40, Delivered: true), sent);
        Assert.Equal(install.Snapshot!.Data, received.Snapshot!.Data);
        Assert.Equal((install.Term, install.Commit, install.Index), (received.Term, received.Commit, received.Index));
        var frames = peer.Frames;
        var firstChunk = frames.IndexOf("chunk");
        var lastChunk = frames.LastIndexOf("chunk");
        Assert.Equal(70, frames.Count(f => f == "chunk"));
        Assert.True(frames.Skip(firstChunk).Take(lastChunk - firstChunk).Any(f => f == "messages"),
            $"no message between the first and the last chunk: {string.Join(' ', frames)}");
    }

    [Fact]
    public async Task Send_InstallSnapshot_StreamBreaksMidway_ReportsItUndelivered()
    {
        await using var peer = await RecordingPeer.StartAsync(delayPerChunk: TimeSpan.Zero, abortAfterChunks: 3);
        await using var transport = NewTransport(peer.Address);
        var report = new TaskCompletionSource<SnapshotReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        transport.SnapshotSent += r => report.TrySetResult(r);

        transport.Send([SnapshotChunkTests.Install(64 * 1024 * 1024)]);

        var sent = await report.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(new SnapshotReport("node2", 40, Delivered: false), sent);
        Assert.False(peer.Snapshot.Task.IsCompleted);
    }

    private static HttpRaftTransport NewTransport(Uri peer)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddHttpClient(HttpRaftTransport.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
        var provider = services.BuildServiceProvider();
        var node = Options.Create(new NodeOptions { NodeId = "node1", ClusterKey = "test" });
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["services:node2:http:0"] = peer.ToString() })
            .Build();
        return new HttpRaftTransport(
            provider.GetRequiredService<IHttpClientFactory>(),
            new PeerDirectory(configuration, node),
            Credentials.Established(node),
            new RaftTelemetry(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), node),
            NullLogger<HttpRaftTransport>.Instance);
    }

    /// <summary>
    /// A peer's stream endpoint on a real Kestrel server that notes each frame's kind in order and puts snapshot
    /// chunks together; it can read chunks slowly, or break the stream after some.
    /// </summary>
    private sealed class RecordingPeer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly List<string> _frames = [];

        private RecordingPeer(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public TaskCompletionSource<Message> Snapshot { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Frames
        {
            get
            {
                lock (_frames)
                {
                    return [.. _frames];
                }
            }
        }

        public static async Task<RecordingPeer> StartAsync(TimeSpan delayPerChunk, int abortAfterChunks = int.MaxValue)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var peer = new RecordingPeer(app);
            app.MapPost(HttpRaftTransport.StreamPath, (HttpContext context) => peer.ReadAsync(context, delayPerChunk, abortAfterChunks));
            await app.StartAsync();
            peer.Address = new Uri(app.Urls.First());
            return peer;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task ReadAsync(HttpContext context, TimeSpan delayPerChunk, int abortAfterChunks)
        {
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
            var assembler = new SnapshotAssembler(maxBytes: int.MaxValue);
            var reader = context.Request.BodyReader;
            var chunks = 0;
            try
            {
                while (true)
                {
                    var read = await reader.ReadAsync(context.RequestAborted);
                    var buffer = read.Buffer;
                    while (RaftStreamFrame.TryRead(ref buffer, out var frame))
                    {
                        var chunk = RaftStreamFrame.IsSnapshotChunk(frame);
                        lock (_frames)
                        {
                            _frames.Add(chunk ? "chunk" : "messages");
                        }

                        if (!chunk)
                        {
                            RaftStreamFrame.Decode(frame.ToArray());
                            continue;
                        }

                        if (assembler.Add(RaftStreamFrame.DecodeChunk(frame.ToArray()), out var complete) == SnapshotChunkOutcome.Completed)
                        {
                            Snapshot.TrySetResult(complete!);
                        }

                        if (++chunks >= abortAfterChunks)
                        {
                            context.Abort();
                            return;
                        }

                        await Task.Delay(delayPerChunk, context.RequestAborted);
                    }

                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (read.IsCompleted)
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The sender went away.
            }
        }
    }

    /// <summary>A peer's stream endpoint on a real Kestrel server that counts the frames it reads, then stops reading.</summary>
    private sealed class FakePeer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly SemaphoreSlim _frameRead = new(0);
        private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _frames;

        private FakePeer(WebApplication app) => _app = app;

        public int Frames => Volatile.Read(ref _frames);

        public Uri Address { get; private set; } = null!;

        public static async Task<FakePeer> StartAsync(int stopReadingAfter)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var peer = new FakePeer(app);
            app.MapPost(HttpRaftTransport.StreamPath, (HttpContext context) => peer.ReadAsync(context, stopReadingAfter));
            await app.StartAsync();
            peer.Address = new Uri(app.Urls.First());
            return peer;
        }

        public HttpRaftTransport NewTransport() => HttpRaftTransportTests.NewTransport(Address);

        public async Task WaitForFramesAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Frames < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the peer read {Frames} frames within 60 s, not {count}");
                await _frameRead.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.TrySetResult();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task ReadAsync(HttpContext context, int stopReadingAfter)
        {
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
            var reader = context.Request.BodyReader;
            while (Frames < stopReadingAfter)
            {
                var read = await reader.ReadAsync(context.RequestAborted);
                var buffer = read.Buffer;
                while (RaftStreamFrame.TryRead(ref buffer, out var frame))
                {
                    RaftStreamFrame.Decode(frame.ToArray()); // throws on a malformed frame
                    Interlocked.Increment(ref _frames);
                    _frameRead.Release();
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }

            await _stop.Task; // hold the stream open without reading another byte
        }
    }
}
