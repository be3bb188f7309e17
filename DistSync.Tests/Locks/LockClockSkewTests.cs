using System.Diagnostics;
using DistSync.Hosting;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Cluster;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Locks;

/// <summary>
/// Leases are counted on the leader's monotonic clock, so a node whose wall clock is 10 s off neither shortens nor
/// lengthens anyone's lease, whether it takes the request, leads, or becomes leader while the lease runs. Each test
/// measures on the test's own clock from before the holder's acquire was sent to the moment another client is granted.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LockClockSkewTests : IClassFixture<LockClockSkewTests.SkewedCluster>
{
    private const long TtlMs = 5_000;

    /// <summary>What a lease may come up short by: the leader's clock rate against real time (see docs: 1 %).</summary>
    private const long DriftAllowanceMs = TtlMs / 100;

    private readonly SkewedCluster _cluster;

    public LockClockSkewTests(SkewedCluster cluster) => _cluster = cluster;

    /// <summary>node2's wall clock is the test's to set; the others keep true time.</summary>
    public sealed class SkewedCluster : IAsyncLifetime
    {
        public NodeClocks Clock { get; } = new(["node2"]);

        /// <summary>Null only when the cluster did not start (and then every test fails with that reason).</summary>
        public ClusterFixture Cluster { get; private set; } = null!;

        public async ValueTask InitializeAsync() =>
            Cluster = await ClusterFixture.StartAsync(new ClusterSettings
            {
                NodeEnvironmentOf = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["node2"] = Clock.Environment("node2") },
            });

        public async ValueTask DisposeAsync()
        {
            if (Cluster is not null)
            {
                await Cluster.DisposeAsync();
            }

            Clock.Dispose();
        }
    }

    [Fact]
    public async Task Acquire_ThroughANodeTenSecondsBehind_IsNotGrantedToAnotherBeforeTheTtl()
    {
        await SkewNode2Async(TimeSpan.FromSeconds(-10));
        await LeaderIsAsync("node1");

        var (held, waited) = await ContendAsync("skew-behind", holderVia: "node2", waiterVia: "node3");

        AssertLeaseHeld(held, waited);
    }

    [Fact]
    public async Task Acquire_UnderALeaderTenSecondsAhead_IsNotGrantedToAnotherBeforeTheTtl()
    {
        await SkewNode2Async(TimeSpan.FromSeconds(10));
        await LeaderIsAsync("node2");

        var (held, waited) = await ContendAsync("skew-ahead-leader", holderVia: "node1", waiterVia: "node3");

        AssertLeaseHeld(held, waited);
    }

    [Fact]
    public async Task Acquire_WhenANodeTenSecondsAheadBecomesLeaderMidLease_IsNotGrantedToAnotherBeforeTheTtl()
    {
        await SkewNode2Async(TimeSpan.FromSeconds(10));
        await LeaderIsAsync("node1");
        var locks = Locks("node1");
        var sent = Stopwatch.GetTimestamp();
        var holder = await locks.AcquireAsync("skew-becomes-leader", "holder", ttlMs: TtlMs);
        Assert.Equal("acquired", holder.Status);

        await LeaderIsAsync("node2");
        var waiter = await Locks("node3").AcquireAsync("skew-becomes-leader", "waiter", waitMs: 20_000, ttlMs: TtlMs);
        var granted = Stopwatch.GetElapsedTime(sent);

        Assert.Equal("acquired", waiter.Status);
        Assert.True(waiter.FencingToken > holder.FencingToken);
        Assert.True(granted.TotalMilliseconds >= TtlMs - DriftAllowanceMs,
            $"granted to another {granted.TotalMilliseconds:F0} ms after a {TtlMs} ms lease was asked for, across a change to a leader 10 s ahead");
    }

    [Fact]
    public async Task Acquire_WhileTheNodesClockStepsBackAndForth_AnswersTheTtlLeftNotAWallClockInstant()
    {
        await SkewNode2Async(TimeSpan.FromSeconds(-10));
        await LeaderIsAsync("node2");

        var reply = await Locks("node2").AcquireAsync("skew-remaining", "holder", ttlMs: TtlMs);
        await SkewNode2Async(TimeSpan.FromSeconds(10));
        var renewed = await Locks("node2").RenewAsync("skew-remaining", "holder", TtlMs, reply.FencingToken);

        Assert.Equal(TtlMs, reply.Body.GetProperty("ttl_remaining_ms").GetInt64());
        Assert.Equal(TtlMs, renewed.Body.GetProperty("ttl_remaining_ms").GetInt64());
        await Locks("node2").ReleaseAsync("skew-remaining", "holder", reply.FencingToken);
    }

    /// <summary>
    /// Only the wall clock is faked: a timed wait on node2 (its thread pool's, its timers') still lasts as long as asked,
    /// so node2 idles as the others do. Faked naively, every timed wait in the process returned at once and an idle node
    /// spun on both cores, which also killed its launcher at start (MSBuild's 900 s wait for its in-proc node ended early).
    /// </summary>
    [Fact]
    public async Task Node_OnAFakedClock_SleepsWhenIdle()
    {
        await SkewNode2Async(TimeSpan.FromSeconds(-10));
        var pid = _cluster.Cluster.NodePid("node2") ?? throw new InvalidOperationException("node2 has no process.");

        // Once its start-up work is done an idle node uses a few percent of a core; one whose waits all return at once
        // spins on every core it can get, and never gets there.
        await Eventually.UntilAsync(async () =>
        {
            var before = LinuxProcesses.CpuTime(pid)!.Value;
            var window = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            return LinuxProcesses.CpuTime(pid)!.Value - before < window.Elapsed / 4;
        }, TimeSpan.FromSeconds(60), "node2, idle, to use under a quarter of a core");
    }

    private LockClient Locks(string node) => new(_cluster.Cluster.CreateHttpClient(node));

    /// <summary>Sets node2's clock, and waits until the skew is real: its HTTP Date header (its wall clock, to the second) is off by it.</summary>
    private async Task SkewNode2Async(TimeSpan offset)
    {
        _cluster.Clock.Set("node2", offset);
        await Eventually.UntilAsync(async () =>
        {
            using var http = _cluster.Cluster.CreateHttpClient("node2");
            using var response = await http.GetAsync(new Uri("/alive", UriKind.Relative), TestContext.Current.CancellationToken);
            var skew = response.Headers.Date!.Value - DateTimeOffset.UtcNow;
            return Math.Abs((skew - offset).TotalSeconds) <= 2;
        }, TimeSpan.FromSeconds(10), $"node2's clock to read {offset.TotalSeconds:+0;-0} s");
    }

    /// <summary>One client takes the lock with a 5 s lease; another waits for it; returns both answers and when the second came.</summary>
    private async Task<(LockClient.Reply Held, (LockClient.Reply Reply, TimeSpan After) Waited)> ContendAsync(string resource, string holderVia, string waiterVia)
    {
        var sent = Stopwatch.GetTimestamp();
        var held = await Locks(holderVia).AcquireAsync(resource, "holder", ttlMs: TtlMs);
        var waiter = await Locks(waiterVia).AcquireAsync(resource, "waiter", waitMs: 20_000, ttlMs: TtlMs);
        return (held, (waiter, Stopwatch.GetElapsedTime(sent)));
    }

    private static void AssertLeaseHeld(LockClient.Reply held, (LockClient.Reply Reply, TimeSpan After) waited)
    {
        Assert.Equal("acquired", held.Status);
        Assert.Equal("acquired", waited.Reply.Status);
        Assert.True(waited.Reply.FencingToken > held.FencingToken);
        Assert.True(waited.After.TotalMilliseconds >= TtlMs - DriftAllowanceMs,
            $"granted to another {waited.After.TotalMilliseconds:F0} ms after a {TtlMs} ms lease was asked for");
    }

    private async Task LeaderIsAsync(string node)
    {
        var cluster = _cluster.Cluster;
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(30));
        if (leader.NodeId != node)
        {
            await cluster.CommandAsync(node, NodeCommands.TransferLeadership);
        }

        await Eventually.UntilAsync(async () => (await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(30))).NodeId == node,
            TimeSpan.FromSeconds(30), $"{node} leads");
    }
}
