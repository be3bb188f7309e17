using System.Net;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace DistSync.Tests.AppHost;

/// <summary><c>--redis cluster</c>: the AppHost starts and forms a six-process Redis Cluster, and three nodes run the queue and the cache on it, waiting for replicas.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RedisClusterTests
{
    [Fact]
    public async Task Start_RedisCluster_SixServersFormOneCluster_QueueAndCacheWorkAcrossItsSlots()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 3, Redis = "cluster" });

        Assert.All(Enumerable.Range(1, 6), i => Assert.Equal("Running", cluster.StateOf($"redis-{i}")));
        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState("redis", out var redis));
        Assert.Equal(HealthStatus.Healthy, redis.Snapshot.HealthStatus);
        var connectionString = await cluster.App.GetConnectionStringAsync("redis", ct) ?? "";
        Assert.Equal(6, connectionString.Split(',').Count(p => p.StartsWith("127.0.0.1:", StringComparison.Ordinal)));
        await using var direct = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
        var primaries = direct.GetServers().Where(s => !s.IsReplica).ToList();
        Assert.All(direct.GetServers(), s => Assert.Equal(ServerType.Cluster, s.ServerType));
        Assert.Equal(3, primaries.Count);
        // Every write below is answered only once its slot's replica has it.
        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState("node1", out var node1));
        Assert.Equal("1", Assert.Single(node1.Snapshot.EnvironmentVariables, v => v.Name == "DistSync__Redis__WaitReplicas").Value);

        // Eight partitions' keys hash to slots on all three primaries (a fixed name, so that is no matter of chance): publish
        // on one node, consume on another, ack on a third.
        const string topic = "orders";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            var published = await new QueueClient(cluster.CreateHttpClient("node1")).PublishAsync(topic, $"{i}", key: $"k{i}", partitions: 8);
            Assert.True((published.Code, published.Status) == (HttpStatusCode.OK, "queued"), published.Text);
            ids.Add(published.Id);
        }

        var acked = new HashSet<string>(StringComparer.Ordinal);
        while (acked.Count < ids.Count)
        {
            var consumed = await new QueueClient(cluster.CreateHttpClient("node2")).ConsumeAsync(topic, waitSec: 5);
            Assert.True(consumed.Status == "ok", consumed.Text);
            Assert.Contains(consumed.Id, ids);
            Assert.Equal("acked", (await new QueueClient(cluster.CreateHttpClient("node3")).AckAsync(topic, consumed.Id)).Status);
            acked.Add(consumed.Id);
        }

        Assert.Equal("empty", (await new QueueClient(cluster.CreateHttpClient("node1")).ConsumeAsync(topic)).Status);
        // Every primary holds some of the topic's partitions: the scripts ran on all three.
        Assert.All(primaries, p => Assert.NotEmpty(p.Keys(pattern: $"ds:q:{{{topic}:*")));

        var set = await new CacheClient(cluster.CreateHttpClient("node2")).SetAsync("greeting", "\"hello\"");
        Assert.True(set.Code == HttpStatusCode.OK, set.Text);
        var read = await new CacheClient(cluster.CreateHttpClient("node1")).GetAsync("greeting");
        Assert.Equal("\"hello\"", read.Value);
    }

    [Fact]
    public async Task Restart_OnTheClustersData_TheSameClusterComesBack_AndKeepsAPublishedMessage()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));
        try
        {
            string id;
            IReadOnlySet<string> nodeIds;
            await using (var first = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 1, Redis = "cluster", DataDir = dataDir }))
            {
                var published = await new QueueClient(first.CreateHttpClient("node1")).PublishAsync("kept", "1");
                Assert.True(published.Status == "queued", published.Text);
                id = published.Id;
                nodeIds = await NodeIdsAsync(first);
            }

            await using var second = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 1, Redis = "cluster", DataDir = dataDir });

            // The same six cluster nodes, back on their own ports: a cluster formed anew would have new ids.
            Assert.Equal(nodeIds, await NodeIdsAsync(second));
            var consumed = await new QueueClient(second.CreateHttpClient("node1")).ConsumeAsync("kept", waitSec: 5);
            Assert.Equal(("ok", id), (consumed.Status, consumed.Id));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>The cluster node id of each member (<c>CLUSTER MYID</c>).</summary>
    private static async Task<IReadOnlySet<string>> NodeIdsAsync(ClusterFixture cluster)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await cluster.App.GetConnectionStringAsync("redis", TestContext.Current.CancellationToken) ?? "");
        var ids = await Task.WhenAll(redis.GetServers().Select(async s => (string)(await s.ExecuteAsync("CLUSTER", "MYID"))!));
        Assert.Equal(6, ids.Length);
        return ids.ToHashSet(StringComparer.Ordinal);
    }
}
