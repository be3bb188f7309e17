using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DistSync.Node.Consensus;
using DistSync.Tests.Infrastructure;
using DistSync.Tests.Storage;

namespace DistSync.Tests.Consensus;

/// <summary>
/// Raft §7 end to end, over the real HTTP transport and the real disk (fsync on): a follower that missed entries the
/// leader has compacted catches up from a snapshot of over 100 MB, more than a peer-stream frame may carry, and the
/// cluster keeps its leader and term throughout: building and writing the snapshot does not stall the heartbeats, and
/// streaming it does not hold up the heartbeats to the follower receiving it (it never starts an election).
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SnapshotCatchUpTests : IAsyncDisposable
{
    private const int SnapshotBytes = 100 * 1024 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly string[] Ids = ["catchup1", "catchup2", "catchup3"];

    private readonly TempDirectory _dir = new();
    private readonly List<InProcessRaftNode> _nodes = [];
    private readonly Dictionary<string, BulkStateMachine> _machines = Ids.ToDictionary(id => id, _ => new BulkStateMachine(SnapshotBytes));
    private readonly Dictionary<string, int> _ports = InProcessRaftNode.FreePorts(Ids);
    private readonly ConcurrentQueue<(string Node, TimeSpan At)> _elections = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly MeterListener _listener = new();

    public SnapshotCatchUpTests()
    {
        // Every election any of these nodes starts (pre-vote included), with when it started.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RaftTelemetry.Name && instrument.Name == "distsync.raft.elections")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == RaftTelemetry.NodeIdAttribute && tag.Value is string node && Ids.Contains(node))
                {
                    _elections.Enqueue((node, _clock.Elapsed));
                }
            }
        });
        _listener.Start();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _dir.Dispose();
    }

    [Fact]
    public async Task InstallSnapshot_FollowerBehindA100MegabyteSnapshot_CatchesUpWithoutAnElectionOrTermChange_7()
    {
        // Two of three nodes form the cluster; the third starts only once the log it would need is compacted away.
        await StartAsync("catchup1");
        await StartAsync("catchup2");
        var leader = await Eventually.UntilAsync(
            () => Task.FromResult(_nodes.FirstOrDefault(n => n.Host.Role == "leader" && _nodes.All(o => o.Host.LeaderId == n.Id))),
            Wait, "a leader both nodes follow");
        var term = leader.Host.Term;
        var settled = _clock.Elapsed;

        // Enough commands for a snapshot on both: each node builds 100 MB on its loop and writes it beside it.
        long expectedSum = 0;
        for (var i = 1; i <= 12; i++)
        {
            await leader.Host.ProposeAsync(_machines[leader.Id], i, TestContext.Current.CancellationToken);
            expectedSum += i;
        }

        await Eventually.UntilAsync(() => _nodes.All(n => n.Host.Status?.SnapshotIndex >= 10), Wait, "both nodes snapshotted and compacted");
        var snapshotIndex = leader.Host.Status!.SnapshotIndex;

        var started = _clock.Elapsed;
        var lagging = await StartAsync("catchup3");
        await Eventually.UntilAsync(() => lagging.Host.LeaderId == leader.Id, Wait, "catchup3 hears from the leader");
        var heard = _clock.Elapsed;
        await Eventually.UntilAsync(() => lagging.Host.Status?.SnapshotIndex >= snapshotIndex, Wait, $"catchup3 installs snapshot {snapshotIndex}");
        var installed = _clock.Elapsed;

        for (var i = 13; i <= 15; i++)
        {
            await leader.Host.ProposeAsync(_machines[leader.Id], i, TestContext.Current.CancellationToken);
            expectedSum += i;
        }

        var machine = _machines["catchup3"];
        await Eventually.UntilAsync(() => machine.Count == 15 && machine.Sum == expectedSum, Wait, "catchup3 applies the entries after the snapshot");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"snapshot {snapshotIndex}: catchup3 started at {started.TotalSeconds:F1} s, heard the leader at {heard.TotalSeconds:F1} s, " +
            $"installed at {installed.TotalSeconds:F1} s, caught up at {_clock.Elapsed.TotalSeconds:F1} s");

        Assert.True(machine.RestoredBytes >= SnapshotBytes, $"catchup3 restored {machine.RestoredBytes} bytes");
        Assert.True(machine.RestoredIntact, "the snapshot catchup3 restored differs from the one its leader took");
        Assert.All(_nodes, n => Assert.Equal((term, leader.Id), (n.Host.Term, n.Host.LeaderId)));
        // No election anywhere once the leader was settled, nor on catchup3 once it had heard from it.
        Assert.DoesNotContain(_elections, e => e.Node == "catchup3" ? e.At > heard : e.At > settled);
    }

    private async Task<InProcessRaftNode> StartAsync(string id)
    {
        var options = new RaftHostOptions { SnapshotEvery = 10 };
        var node = await InProcessRaftNode.StartAsync(id, _ports, Path.Combine(_dir.Path, id), options, _machines[id],
            TestContext.Current.TestOutputHelper);
        _nodes.Add(node);
        return node;
    }
}
