using System.Globalization;
using System.Net;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Cluster;
using DistSync.Tests.Infrastructure;
using StackExchange.Redis;

namespace DistSync.Tests.Chaos;

/// <summary>
/// The Redis Cluster faults of the <c>redis</c> nemesis on a real cluster of six <c>redis-server</c> processes: a cut
/// replication link leaves both members serving but a write on the primary unreplicated (<c>WAIT</c> gets no replica)
/// until healed; a paused primary is failed over and, woken, demoted; a killed one (stopped first, killed after the
/// failover) leaves its replica serving its slots. One cluster for the class; each test takes a shard that still has an
/// in-sync replica, so the kill's dead member does not get in the others' way.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RedisClusterFaultsTests(RedisClusterFaultsTests.SharedCluster shared) : IClassFixture<RedisClusterFaultsTests.SharedCluster>
{
    [Fact]
    public async Task PartitionPrimary_KeepsTheReplicationLinkDown_WithoutAFailover_UntilHealed()
    {
        var ct = TestContext.Current.CancellationToken;
        var (cluster, faults) = await shared.GetAsync();
        var shard = await PickAsync(cluster, faults, 1);
        var primary = cluster.Connection.GetServer(new IPEndPoint(IPAddress.Loopback, shard.Primary.Port));
        var key = KeyServedBy(cluster.Connection, shard.Primary);

        await faults.CutReplicationAsync(shard.Replica, ct);
        try
        {
            await Eventually.UntilAsync(async () => !await faults.IsLinkUpAsync(shard.Replica), TimeSpan.FromSeconds(5), "the replica's link to its primary is down");
            // Over several of the replica's reconnects (one a second), every write stays unreplicated, and nobody fails over.
            var writes = 0;
            for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(3); DateTime.UtcNow < until; writes++)
            {
                Assert.Equal(0, await WriteAndWaitAsync(primary, key, writes));
            }

            Assert.False(await faults.IsLinkUpAsync(shard.Replica), "the link stayed down");
            Assert.Contains("connected_slaves:0", await primary.InfoRawAsync("replication"), StringComparison.Ordinal);
            var survey = await faults.SurveyAsync(ct);
            Assert.True(survey.Single(m => m.Port == shard.Primary.Port).IsPrimary, "the primary still serves as primary");
            Assert.False(survey.Single(m => m.Port == shard.Replica.Port).IsPrimary, "the replica did not take over");
        }
        finally
        {
            await faults.RestoreReplicationAsync(shard.Replica);
        }

        await Eventually.UntilAsync(() => faults.IsLinkUpAsync(shard.Replica), TimeSpan.FromSeconds(10), "the replica reconnects and resyncs once healed");
        Assert.Equal(1, await WriteAndWaitAsync(primary, key, -1));
    }

    [Fact]
    public async Task PausePrimary_ItsReplicaTakesOver_AndTheWokenPrimaryIsDemoted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (cluster, faults) = await shared.GetAsync();
        var shard = await PickAsync(cluster, faults, 2);

        RedisClusterFaults.Stop(shard.Primary);
        TimeSpan? takeover;
        try
        {
            takeover = await faults.WaitForTakeoverAsync(shard.Replica, RedisClusterFaults.TakeoverTimeout, ct);
        }
        finally
        {
            RedisClusterFaults.Resume(shard.Primary);
        }

        Assert.True(takeover is not null, $"{shard.Replica.Name} took over from the paused {shard.Primary.Name}");
        await Eventually.UntilAsync(async () => (await faults.SurveyAsync(ct)).Any(m => m.Port == shard.Primary.Port && !m.IsPrimary && m.PrimaryId == shard.Replica.NodeId),
            TimeSpan.FromSeconds(15), $"the woken {shard.Primary.Name} is a replica of {shard.Replica.Name}");
    }

    [Fact]
    public async Task KillPrimary_StoppedUntilItsReplicaTakesOver_ThenKilled_TheReplicaServesItsSlots()
    {
        var ct = TestContext.Current.CancellationToken;
        var (cluster, faults) = await shared.GetAsync();
        var shard = await PickAsync(cluster, faults, 3);

        RedisClusterFaults.Stop(shard.Primary);
        TimeSpan? takeover;
        try
        {
            takeover = await faults.WaitForTakeoverAsync(shard.Replica, RedisClusterFaults.TakeoverTimeout, ct);
        }
        finally
        {
            RedisClusterFaults.Kill(shard.Primary);
        }

        Assert.True(takeover is not null, $"{shard.Replica.Name} took over from the stopped {shard.Primary.Name}");
        await Eventually.UntilAsync(() => !LinuxProcesses.IsAlive(shard.Primary.ProcessId), TimeSpan.FromSeconds(5), $"{shard.Primary.Name}'s process is gone");
        var survey = await faults.SurveyAsync(ct);
        Assert.DoesNotContain(survey, m => m.Port == shard.Primary.Port);
        var successor = survey.Single(m => m.Port == shard.Replica.Port);
        Assert.True(successor.IsPrimary);
        Assert.Equal(shard.Primary.Slots, successor.Slots);
    }

    /// <summary>
    /// A shard whose replica is in sync (right after the cluster forms, or after a failover, a replica may still be
    /// syncing), once every live member says the cluster is up: just after another test's failover, members that have
    /// not yet seen it answer <c>CLUSTERDOWN</c>.
    /// </summary>
    private static async Task<RedisShard> PickAsync(RedisCluster cluster, RedisClusterFaults faults, int seed)
    {
        await Eventually.UntilAsync(() => ClusterUpAsync(cluster.Connection), TimeSpan.FromSeconds(30), "every live member says the cluster serves all its slots");
        return await Eventually.UntilAsync(() => faults.PickShardAsync(new Random(seed), TestContext.Current.CancellationToken), TimeSpan.FromSeconds(30),
            "a primary with an in-sync replica");
    }

    private static async Task<bool> ClusterUpAsync(ConnectionMultiplexer connection)
    {
        foreach (var server in connection.GetServers().Where(s => s.IsConnected))
        {
            try
            {
                if (!await RedisCluster.IsServingAllSlotsAsync(server))
                {
                    return false;
                }
            }
            catch (RedisException)
            {
                return false; // a member just killed, not yet noticed as gone
            }
        }

        return true;
    }

    /// <summary>A SET on <paramref name="primary"/>, then how many replicas <c>WAIT 1 200</c> says have it.</summary>
    private static async Task<long> WriteAndWaitAsync(IServer primary, string key, int value)
    {
        await primary.ExecuteAsync("SET", key, value.ToString(CultureInfo.InvariantCulture));
        return (long)await primary.ExecuteAsync("WAIT", "1", "200");
    }

    /// <summary>A key whose slot <paramref name="primary"/> serves (its slots as CLUSTER NODES gives them: "0-5460" or "a-b,c").</summary>
    private static string KeyServedBy(ConnectionMultiplexer connection, RedisMember primary)
    {
        var ranges = primary.Slots.Split(',').Select(r => r.Split('-')).Select(r => (From: int.Parse(r[0], CultureInfo.InvariantCulture), To: int.Parse(r[^1], CultureInfo.InvariantCulture))).ToList();
        return Enumerable.Range(0, 100_000).Select(i => $"chaos-{i}").First(k => connection.HashSlot(k) is var slot && ranges.Any(r => slot >= r.From && slot <= r.To));
    }

    /// <summary>One password-less Redis Cluster for the class, started by the first test that asks.</summary>
    public sealed class SharedCluster : IAsyncDisposable
    {
        private RedisCluster? _cluster;
        private RedisClusterFaults? _faults;

        public async Task<(RedisCluster Cluster, RedisClusterFaults Faults)> GetAsync()
        {
            _cluster ??= await RedisCluster.StartAsync();
            _faults ??= new RedisClusterFaults([.. _cluster.Ports.Select((port, i) => new RedisMemberAddress($"redis-{i + 1}", port))], password: "");
            return (_cluster, _faults);
        }

        public async ValueTask DisposeAsync()
        {
            if (_faults is not null)
            {
                await _faults.DisposeAsync();
            }

            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }
        }
    }
}
