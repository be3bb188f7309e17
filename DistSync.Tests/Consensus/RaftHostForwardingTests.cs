using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Raft;
using DistSync.Tests.Infrastructure;
using DistSync.Tests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Consensus;

/// <summary>
/// A follower's RaftHost (real loop, real WAL on disk) forwarding a client's command to the leader, with the
/// transport played by the test: the answer path, a retry after a command dropped unsent, and the two
/// "outcome unknown" endings (the stream broke after sending; leadership moved) that must not hang.
/// </summary>
public sealed class RaftHostForwardingTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private ScriptedTransport _transport = new();
    private readonly EchoMachine _echo = new();
    private RaftHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await StartHostAsync(_transport);
        await FollowAsync("node1", term: 1);
    }

    /// <summary>node2's host on this test's data folder (the same folder again for a restart).</summary>
    private async Task<RaftHost> StartHostAsync(ScriptedTransport transport)
    {
        var node = Options.Create(new NodeOptions { NodeId = "node2", DataDir = _dir.Path });
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:node1:http:0"] = "http://127.0.0.1:9",
            ["services:node3:http:0"] = "http://127.0.0.1:9",
        }).Build();
        // Long election timeouts: this follower must not campaign during a test; the test plays the leader.
        var options = Options.Create(new RaftHostOptions { TickInterval = TimeSpan.FromMilliseconds(20), ElectionTicks = 250 });
        var peers = new PeerDirectory(configuration, node);
        var founding = new ClusterFounding(node, peers);
        founding.Load(ClusterState.New);
        var admission = new ClusterAdmission(node, founding, peers, new PeerCredentials(node), NullLogger<ClusterAdmission>.Instance);
        var host = new RaftHost(node, options, peers, founding, admission, transport, [_echo],
            new RaftTelemetry(_services.GetRequiredService<IMeterFactory>(), node), NullLogger<RaftHost>.Instance);
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
        await _services.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ProposeAsync_OnFollower_ForwardsToLeaderAndReturnsTheResultAppliedHere()
    {
        var proposal = _host.ProposeAsync(_echo, "hello", TestContext.Current.CancellationToken);

        var forward = await NextForwardAsync("node1", count: 1);
        _host.Receive([Answer(forward, index: 1, term: 1)]);
        _host.Receive([AppendCommitted(forward, index: 1, term: 1)]);

        Assert.Equal("applied hello at 1", await proposal.WaitAsync(Wait, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ProposeAsync_ForwardDroppedUnsent_IsForwardedAgainWithTheSameId()
    {
        var proposal = _host.ProposeAsync(_echo, "again", TestContext.Current.CancellationToken);
        var first = await NextForwardAsync("node1", count: 1);

        _transport.RaiseUndelivered(first);
        // The retry waits for a leader (at most an election timeout); keep node1's leadership fresh meanwhile.
        var second = await NextForwardAsync("node1", count: 2, keepLeader: true);
        _host.Receive([Answer(second, index: 1, term: 1)]);
        _host.Receive([AppendCommitted(second, index: 1, term: 1)]);

        Assert.Equal(first.Context, second.Context);
        Assert.Equal("applied again at 1", await proposal.WaitAsync(Wait, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ProposeAsync_StreamToLeaderBrokeAfterSending_FailsAtOnceAsOutcomeUnknown()
    {
        var proposal = _host.ProposeAsync(_echo, "one", TestContext.Current.CancellationToken);
        await NextForwardAsync("node1", count: 1);

        _transport.RaisePeerUnreachable("node1");

        var error = await Assert.ThrowsAsync<RaftUnavailableException>(() => proposal.WaitAsync(Wait, TestContext.Current.CancellationToken));
        Assert.Contains("may or may not be applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProposeAsync_LeadershipMovesBeforeTheAnswer_FailsAtOnceAsOutcomeUnknown()
    {
        var proposal = _host.ProposeAsync(_echo, "two", TestContext.Current.CancellationToken);
        await NextForwardAsync("node1", count: 1);

        await FollowAsync("node3", term: 2);

        var error = await Assert.ThrowsAsync<RaftUnavailableException>(() => proposal.WaitAsync(Wait, TestContext.Current.CancellationToken));
        Assert.Contains("Leadership moved from node1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProposeAsync_LeaderRefusesAsNotLeader_RetriesRatherThanFailing()
    {
        var proposal = _host.ProposeAsync(_echo, "later", TestContext.Current.CancellationToken);
        var first = await NextForwardAsync("node1", count: 1);

        _host.Receive([Answer(first, index: 0, term: 0) with { Reject = true, RejectHint = (long)ProposeStatus.NotLeader }]);
        var second = await NextForwardAsync("node1", count: 2, keepLeader: true);

        Assert.False(proposal.IsCompleted);
        Assert.Equal(first.Context, second.Context);
    }

    [Fact]
    public async Task ReadBarrierAsync_LeaderAnswersAReadOfThePreviousIncarnation_DoesNotSatisfyTheNewOne()
    {
        using var before = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var oldRead = _host.ReadBarrierAsync(before.Token);
        var oldAsk = await NextReadIndexAsync("node1");
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
        await before.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => oldRead);

        // The same node, restarted on its log; node1 still leads and still holds the old incarnation's read.
        _transport = new ScriptedTransport();
        _host = await StartHostAsync(_transport);
        await FollowAsync("node1", term: 1);
        var read = _host.ReadBarrierAsync(TestContext.Current.CancellationToken);
        var ask = await NextReadIndexAsync("node1");

        // node1 answers the old read (at an index this node has already applied), then appends entry 1: once that
        // shows in the status, the loop has handled the old answer too.
        _host.Receive(
        [
            new Message { Type = MessageType.ReadIndexResponse, From = "node1", To = "node2", Context = oldAsk.Context, Index = 0 },
            new Message { Type = MessageType.Append, From = "node1", To = "node2", Term = 1, Index = 0, LogTerm = 0, Entries = [new Entry(1, 1, EntryType.Empty, [])] },
        ]);
        await Eventually.UntilAsync(() => _host.Status?.LastIndex == 1, Wait, "node2 has entry 1");
        await Assert.ThrowsAsync<TimeoutException>(() => read.WaitAsync(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken));

        _host.Receive([new Message { Type = MessageType.ReadIndexResponse, From = "node1", To = "node2", Context = ask.Context, Index = 0 }]);
        await read.WaitAsync(Wait, TestContext.Current.CancellationToken);
    }

    private async Task<Message> NextReadIndexAsync(string leader) =>
        await Eventually.UntilAsync(
            () => Task.FromResult(_transport.Sent.LastOrDefault(m => m.Type == MessageType.ReadIndex && m.To == leader)), Wait, $"a read index asked of {leader}");

    private async Task FollowAsync(string leader, long term)
    {
        _host.Receive([new Message { Type = MessageType.Heartbeat, From = leader, To = "node2", Term = term }]);
        await Eventually.UntilAsync(() => _host.LeaderId == leader, Wait, $"node2 follows {leader}");
    }

    private async Task<Message> NextForwardAsync(string leader, int count, bool keepLeader = false) =>
        await Eventually.UntilAsync(() =>
        {
            if (keepLeader)
            {
                _host.Receive([new Message { Type = MessageType.Heartbeat, From = leader, To = "node2", Term = _host.Term }]);
            }

            var forwards = _transport.Sent.Where(m => m.Type == MessageType.Forward && m.To == leader).ToList();
            return Task.FromResult(forwards.Count >= count ? forwards[count - 1] : null);
        }, Wait, $"forward #{count} to {leader}");

    private static Message Answer(Message forward, long index, long term) => new()
    {
        Type = MessageType.ForwardAnswer, From = forward.To, To = "node2", Context = forward.Context, Index = index, Term = term,
    };

    private static Message AppendCommitted(Message forward, long index, long term) => new()
    {
        Type = MessageType.Append, From = forward.To, To = "node2", Term = term, Index = index - 1, LogTerm = index == 1 ? 0 : term,
        Entries = [new Entry(index, term, EntryType.Command, forward.Entries[0].Data)], Commit = index,
    };

    private sealed class EchoMachine : IReplicatedStateMachine<string, string>
    {
        public byte Tag => 42;

        public byte[] Encode(string command) => Encoding.UTF8.GetBytes(command);

        public string Apply(long index, long clockMs, ReadOnlySpan<byte> command) => $"applied {Encoding.UTF8.GetString(command)} at {index}";

        public byte[] Snapshot() => [];

        public void Restore(ReadOnlySpan<byte> snapshot)
        {
        }
    }

    private sealed class ScriptedTransport : IRaftTransport
    {
        private readonly ConcurrentQueue<Message> _sent = new();

        public event Action<string>? PeerUnreachable;

        public event Action<Message>? Undelivered;

        public IReadOnlyList<Message> Sent => [.. _sent];

        public void Send(IReadOnlyList<Message> messages)
        {
            foreach (var message in messages)
            {
                _sent.Enqueue(message);
            }
        }

        public void RaisePeerUnreachable(string peer) => PeerUnreachable?.Invoke(peer);

        public void RaiseUndelivered(Message message) => Undelivered?.Invoke(message);
    }
}
