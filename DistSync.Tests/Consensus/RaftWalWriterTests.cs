using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Storage;
using DistSync.Raft;
using DistSync.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static DistSync.Tests.Storage.StorageData;

namespace DistSync.Tests.Consensus;

/// <summary>
/// The WAL writer on the real disk with fsync: what it reports durable is on disk, messages that waited for a
/// write leave only after it and in order, an overwrite queued behind a write lands, and a disk failure is reported.
/// </summary>
public sealed class RaftWalWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly RecordingTransport _transport = new();
    private readonly BlockingCollection<(long Index, long Term)> _persisted = [];
    private readonly BlockingCollection<Exception> _failures = [];

    public void Dispose()
    {
        _services.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Enqueue_Entries_AreOnDiskWhenReportedAndMessagesFollowInOrder()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            _transport.Durable = () => storage.LastIndex;
            using var writer = NewWriter(storage);
            var ack1 = Ack(2);
            var ack2 = Ack(3);

            writer.Enqueue(new HardState(1, "node1", 0), Range(1, 2, 1), sync: true, after: [ack1]);
            writer.Enqueue(null, Range(3, 3, 1), sync: true, after: [ack2]);
            writer.EnqueueSend([Ack(4)]);
            writer.WaitIdle();

            Assert.True(writer.IsIdle);
            Assert.Equal([2L, 3L, 4L], _transport.Sent.Select(m => m.Index));
            // Each acknowledgement left only once what it acknowledges was on disk.
            Assert.All(_transport.Sent.Zip(_transport.DurableAtSend).Take(2), pair => Assert.True(pair.Second >= pair.First.Index,
                $"ack {pair.First.Index} sent when the log was durable to {pair.Second}"));
            Assert.Equal((3L, 1L), LastReported());
        }

        var reloaded = Reopen(_dir.Path);
        AssertEntries(Range(1, 3, 1), reloaded.Entries);
        Assert.Equal(new HardState(1, "node1", 0), reloaded.HardState);
    }

    [Fact]
    public void Enqueue_CommitOnlyHardState_IsNotWrittenByItself_ButWithTheNextWrite()
    {
        long frameEnd;
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            using var writer = NewWriter(storage);
            // Only the commit index moved: no frame of its own (an unsynced frame could be lost while a later one
            // survives), but the messages queued with it still leave in order.
            frameEnd = WriteEntriesThenDeferCommit(writer, after: [Ack(2)]);
            Assert.Equal(frameEnd, EndOfFrames(_dir.Segment(1)));
            Assert.Equal([2L], _transport.Sent.Select(m => m.Index));

            writer.Enqueue(null, Range(3, 3, 1), sync: true, after: []);
            writer.WaitIdle();
            Assert.True(EndOfFrames(_dir.Segment(1)) > frameEnd);
        }

        var reloaded = Reopen(_dir.Path);
        AssertEntries(Range(1, 3, 1), reloaded.Entries);
        Assert.Equal(new HardState(1, "node1", 2), reloaded.HardState);
    }

    [Fact]
    public void Dispose_WithADeferredCommitIndex_WritesItOnTheWayOut()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            using var writer = NewWriter(storage);
            WriteEntriesThenDeferCommit(writer, after: []);
        }

        Assert.Equal(new HardState(1, "node1", 2), Reopen(_dir.Path).HardState);
    }

    [Fact]
    public void EnqueueSnapshot_FromTheLeader_IsSavedInLogOrderBeforeItsAnswerLeaves_AndSupersedesTheDeferredCommit()
    {
        var snapshot = new Snapshot(new SnapshotMetadata(10, 2, ["node1", "node2"]), [1, 2, 3]);
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            _transport.Durable = () => storage.SnapshotIndex;
            using var writer = NewWriter(storage);
            WriteEntriesThenDeferCommit(writer, after: []);

            // The follower's answer says it holds the snapshot: it must not leave before the snapshot is on disk.
            writer.EnqueueSnapshot(snapshot, new HardState(2, null, 10), [], after: [Ack(10)]);
            writer.Enqueue(null, Range(11, 12, 2), sync: true, after: [Ack(12)]);
            writer.WaitIdle();

            Assert.Equal([10L, 12L], _transport.Sent.Select(m => m.Index));
            Assert.Equal([10L, 10L], _transport.DurableAtSend);
            Assert.Equal((12L, 2L), LastReported());
        }

        var reloaded = Reopen(_dir.Path);
        Assert.Equal(10, reloaded.Snapshot!.Metadata.Index);
        AssertEntries(Range(11, 12, 2), reloaded.Entries);
        Assert.Equal(new HardState(2, null, 10), reloaded.HardState);
    }

    [Fact]
    public void EnqueueSnapshotRecord_FileWrittenBeside_IsRecordedAfterTheWritesQueuedBeforeIt()
    {
        var snapshot = new Snapshot(new SnapshotMetadata(3, 1, ["node1", "node2"]), [9, 9]);
        var recorded = new BlockingCollection<(bool Recorded, long LastIndex)>();
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            using var writer = NewWriter(storage);
            writer.Enqueue(new HardState(1, "node1", 3), Range(1, 4, 1), sync: true, after: []);
            storage.WriteSnapshotFile(snapshot); // on the host, beside the writer
            writer.EnqueueSnapshotRecord(snapshot.Metadata, ok => recorded.Add((ok, storage.LastIndex)));
            writer.Enqueue(null, Range(5, 5, 1), sync: true, after: []);
            writer.WaitIdle();

            Assert.True(recorded.TryTake(out var result, TimeSpan.FromSeconds(30)));
            Assert.Equal((true, 4L), result);
            Assert.Equal(3, storage.SnapshotIndex);
        }

        var reloaded = Reopen(_dir.Path);
        Assert.Equal(3, reloaded.Snapshot!.Metadata.Index);
        AssertEntries(Range(4, 5, 1), reloaded.Entries);
    }

    [Fact]
    public void Enqueue_OverwriteQueuedBehindAWrite_LeavesTheNewSuffix()
    {
        using (var storage = new RaftStorage(_dir.Path))
        {
            storage.Load();
            using var writer = NewWriter(storage);

            writer.Enqueue(new HardState(1, null, 0), Range(1, 4, 1), sync: true, after: []);
            writer.Enqueue(new HardState(2, null, 0), Range(3, 5, 2), sync: true, after: []);
            writer.WaitIdle();

            Assert.Equal((5L, 2L), LastReported());
        }

        var reloaded = Reopen(_dir.Path);
        AssertEntries([.. Range(1, 2, 1), .. Range(3, 5, 2)], reloaded.Entries);
        Assert.Equal(2, reloaded.HardState.Term);
    }

    [Fact]
    public void Enqueue_WriteTheDiskRefuses_ReportsTheFailureAndSendsNothing()
    {
        using var storage = new RaftStorage(_dir.Path);
        storage.Load();
        using var writer = NewWriter(storage);

        // Entry 5 cannot follow an empty log: the storage refuses it, as it would a failed disk write.
        writer.Enqueue(null, Range(5, 5, 1), sync: true, after: [Ack(5)]);

        Assert.True(_failures.TryTake(out var failure, TimeSpan.FromSeconds(30)), "no failure reported");
        Assert.IsType<InvalidOperationException>(failure);
        Assert.Empty(_transport.Sent);
        Assert.Empty(_persisted);
    }

    /// <summary>
    /// Entries 1-2 written with commit 0, then a hard state moving only the commit index to 2 handed over on its own;
    /// returns where the frames ended after the first write.
    /// </summary>
    private long WriteEntriesThenDeferCommit(RaftWalWriter writer, IReadOnlyList<Message> after)
    {
        writer.Enqueue(new HardState(1, "node1", 0), Range(1, 2, 1), sync: true, after: []);
        writer.WaitIdle(); // else both may go in one write, which carries commit 2 at once
        var frameEnd = EndOfFrames(_dir.Segment(1));
        writer.Enqueue(new HardState(1, "node1", 2), [], sync: false, after: after);
        writer.WaitIdle();
        return frameEnd;
    }

    private RaftWalWriter NewWriter(RaftStorage storage)
    {
        var telemetry = new RaftTelemetry(_services.GetRequiredService<IMeterFactory>(), Options.Create(new NodeOptions { NodeId = "node1" }));
        return new RaftWalWriter(storage, _transport, telemetry, (index, term) => _persisted.Add((index, term)), _failures.Add);
    }

    private (long Index, long Term) LastReported()
    {
        var last = (0L, 0L);
        while (_persisted.TryTake(out var reported))
        {
            Assert.True(reported.Index >= last.Item1, $"reported {reported.Index} after {last.Item1}");
            last = reported;
        }

        return last;
    }

    private static Message Ack(long index) => new() { Type = MessageType.AppendResponse, From = "node1", To = "node2", Term = 1, Index = index };

    private sealed class RecordingTransport : IRaftTransport
    {
        private readonly ConcurrentQueue<Message> _sent = new();
        private readonly ConcurrentQueue<long> _durableAtSend = new();

        /// <summary>How far the log is on disk, read at each send.</summary>
        public Func<long> Durable { get; set; } = () => 0;

        public IReadOnlyList<long> DurableAtSend => [.. _durableAtSend];

        // The writer never listens to these: the transport's failures are the loop's business.
        public event Action<string>? PeerUnreachable { add { } remove { } }

        public event Action<Message>? Undelivered { add { } remove { } }

        public IReadOnlyList<Message> Sent => [.. _sent];

        public void Send(IReadOnlyList<Message> messages)
        {
            foreach (var message in messages)
            {
                _durableAtSend.Enqueue(Durable());
                _sent.Enqueue(message);
            }
        }
    }
}
