using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.ClusterView;

/// <summary>
/// <c>GET /cluster/topology</c> on a real three-node cluster: every node describes the same cluster, each member's URL
/// reaches that member, and owners and homes a client computes from the topology alone are the ones the nodes use.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterTopologyTests(ClusterTopologyTests.Cluster cluster) : IClassFixture<ClusterTopologyTests.Cluster>
{
    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> TopologyAsync(string node, string role = "reader")
    {
        using var http = cluster.CreateHttpClient(node, role);
        return await http.GetFromJsonAsync<JsonElement>("/cluster/topology", Ct);
    }

    [Fact]
    public async Task Topology_EveryNode_DescribesTheSameMembersLeaderAndRing_AndEachUrlReachesItsMember()
    {
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(30));

        var topologies = await Task.WhenAll(cluster.NodeNames.Select(n => TopologyAsync(n)));

        for (var i = 0; i < topologies.Length; i++)
        {
            var topology = topologies[i];
            Assert.Equal(cluster.NodeNames[i], topology.GetProperty("node_id").GetString());
            var members = topology.GetProperty("members").EnumerateArray().ToList();
            Assert.Equal(cluster.NodeNames, members.Select(m => m.GetProperty("node_id").GetString()));
            Assert.All(members, m => Assert.Equal("voter", m.GetProperty("role").GetString()));
            Assert.Equal(leader.NodeId, topology.GetProperty("leader_id").GetString());
            Assert.True(topology.GetProperty("term").GetInt64() >= 1);
            var ring = topology.GetProperty("ring");
            Assert.Equal(cluster.NodeNames, ring.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal(128, ring.GetProperty("virtual_nodes").GetInt32());
            Assert.Equal(topologies[0].GetProperty("members").GetRawText(), topology.GetProperty("members").GetRawText());
        }

        foreach (var member in topologies[0].GetProperty("members").EnumerateArray())
        {
            using var http = new HttpClient { BaseAddress = new Uri(member.GetProperty("url").GetString()!) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Tokens["reader"]);
            var health = await http.GetFromJsonAsync<JsonElement>("/health", Ct);
            Assert.Equal(member.GetProperty("node_id").GetString(), health.GetProperty("node_id").GetString());
        }
    }

    [Fact]
    public async Task Owners_RecomputedFromTheTopology_AreTheNodesOwn_ForPartitionsMessagesAndCacheKeys()
    {
        const int partitions = 64;
        var topic = $"routing-{Guid.NewGuid():n}";
        var queue = new QueueClient(cluster.CreateHttpClient("node1", "writer"));
        Assert.Equal("queued", (await queue.PublishAsync(topic, "1", key: "first", partitions: partitions)).Status);
        // The ring moves only if a node seems lost; then the two reads are taken again, of one epoch.
        var (routing, stats) = await Eventually.UntilAsync(async () =>
        {
            var topology = new ClientRouting(await TopologyAsync("node2"));
            var read = (await queue.GetAsync($"/queue/stats?topic={topic}")).Body;
            return read.GetProperty("ring_epoch").GetInt64() == topology.Epoch ? Tuple.Create(topology, read) : null;
        }, TimeSpan.FromSeconds(30), "the topology and the topic's stats are of one ring epoch");
        var published = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => queue.PublishAsync(topic, "2", key: $"order-{i}")));
        var cache = new CacheClient(cluster.CreateHttpClient("node3", "reader"));
        var keys = Enumerable.Range(0, 100).Select(i => $"customer/{i}").ToList();
        var homes = await Task.WhenAll(keys.Select(k => cache.RawGetAsync($"/cache/lines?key={Uri.EscapeDataString(k)}")));

        var owners = stats.GetProperty("partition_stats").EnumerateArray().ToList();
        Assert.Equal(partitions, owners.Count);
        Assert.All(owners, p => Assert.Equal(routing.OwnerOf(topic, p.GetProperty("partition").GetInt32()), p.GetProperty("owner").GetString()));
        Assert.True(owners.Select(p => p.GetProperty("owner").GetString()).Distinct().Count() > 1, "every partition on one node proves little");
        for (var i = 0; i < published.Length; i++)
        {
            var partition = ClientRouting.PartitionOf($"order-{i}", partitions);
            Assert.Equal(partition, published[i].Body.GetProperty("partition").GetInt32());
            if (published[i].Body.GetProperty("epoch").GetInt64() == routing.Epoch)
            {
                Assert.Equal(routing.OwnerOf(topic, partition), published[i].Body.GetProperty("owner").GetString());
            }
        }

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal(HttpStatusCode.OK, homes[i].Code);
            if (homes[i].Body.GetProperty("epoch").GetInt64() == routing.Epoch)
            {
                Assert.Equal(routing.HomeOf(keys[i]), homes[i].Body.GetProperty("home").GetString());
            }
        }

        Assert.True(published.Count(p => p.Body.GetProperty("epoch").GetInt64() == routing.Epoch) + homes.Count(h => h.Body.GetProperty("epoch").GetInt64() == routing.Epoch) > 100,
            "most answers must be of the topology's epoch, or the comparison proves little");

        Assert.True(homes.Select(h => h.Body.GetProperty("home").GetString()).Distinct().Count() > 1, "every home on one node proves little");
    }
}
