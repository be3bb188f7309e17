using System.Net;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Cache;

/// <summary>The cache through every node of a real three-node cluster (with the dashboard): the original's walk-through and everything around it.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CacheApiTests(CacheApiTests.Cluster cluster) : IClassFixture<CacheApiTests.Cluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // Every trace kept: the span test below asserts what one write's trace holds, not how many traces the sampler lets through.
    public sealed class Cluster() : ClusterFixture(new ClusterSettings
    {
        Dashboard = true,
        NodeEnvironment = new Dictionary<string, string> { ["DistSync__Telemetry__MaxTracesPerSecond"] = "0" },
    });

    private CacheClient Node(int i) => new(cluster.CreateHttpClient($"node{i}"));

    private static string Key(string name) => $"{name}-{Guid.NewGuid():n}";

    [Fact]
    public async Task Walkthrough_SetOnNode2_ReadOnNode1_ThenHit_SetFromNode3_EveryoneSeesIt()
    {
        var k1 = Key("k1");
        var set = await Node(2).SetAsync(k1, "\"v1\"");
        Assert.True(set.Code == HttpStatusCode.OK, set.Text);
        Assert.Equal(("ok", "M"), (set.Status, set.Body.GetProperty("state").GetString()));

        var first = await Node(1).GetAsync(k1);
        Assert.Equal(("miss", "\"v1\"", "S"), (first.Status, first.Value, first.State));
        var second = await Node(1).GetAsync(k1);
        Assert.Equal(("hit", "\"v1\"", "S"), (second.Status, second.Value, second.State));
        Assert.Equal("S", (await Node(1).LinesAsync(k1))["node2"]); // node2's M was downgraded by node1's read

        var update = await Node(3).SetAsync(k1, "{\"v\":2}");
        Assert.Equal(first.Version + 1, update.Body.GetProperty("version").GetInt64());
        Assert.Equal("{\"v\":2}", (await Node(1).GetAsync(k1)).Value);
        Assert.Equal("{\"v\":2}", (await Node(2).GetAsync(k1)).Value);
    }

    [Fact]
    public async Task ReadMiss_NoOtherHolder_IsExclusive_ThenItsOwnWriteIsSilent()
    {
        var k = Key("solo");
        await Node(1).SetAsync(k, "1");
        await Node(1).InvalidateAsync(k);
        await Node(2).InvalidateAsync(k);
        await Node(3).InvalidateAsync(k);

        var read = await Node(3).GetAsync(k);
        Assert.Equal(("miss", "E"), (read.Status, read.State));
        var write = await Node(3).SetAsync(k, "2");
        Assert.Equal((true, "M"), (write.Body.GetProperty("silent").GetBoolean(), write.Body.GetProperty("state").GetString()));
        Assert.Equal(("2", "S"), ((await Node(1).GetAsync(k)).Value, (await Node(1).LinesAsync(k))["node3"]));
    }

    [Fact]
    public async Task Delete_EveryNodeThenReadsNone()
    {
        var k = Key("gone");
        await Node(1).SetAsync(k, "[1,2]");
        await Node(2).GetAsync(k);
        await Node(3).GetAsync(k);

        var deleted = await Node(2).DeleteAsync(k);

        Assert.Equal("deleted", deleted.Status);
        foreach (var i in new[] { 1, 2, 3 })
        {
            var read = await Node(i).GetAsync(k);
            Assert.Null(read.Value);
            Assert.Equal(deleted.Body.GetProperty("version").GetInt64(), read.Version);
        }
    }

    [Fact]
    public async Task Ttl_TheValueExpiresOnEveryNode()
    {
        var k = Key("ttl");
        var sent = System.Diagnostics.Stopwatch.StartNew();
        await Node(1).SetAsync(k, "\"brief\"", ttlSec: 2);
        var early = await Node(2).GetAsync(k);
        // Read before the TTL can have run out, it is there; only a machine slow enough to pass the TTL may see it gone.
        if (early.Value is null)
        {
            Assert.True(sent.Elapsed >= TimeSpan.FromSeconds(2), $"gone after {sent.Elapsed.TotalMilliseconds:F0} ms, before its 2 s TTL");
        }
        else
        {
            Assert.Equal("\"brief\"", early.Value);
        }

        await Eventually.UntilAsync(async () => (await Node(2).GetAsync(k)).Value is null && (await Node(3).GetAsync(k)).Value is null,
            TimeSpan.FromSeconds(10), "the value gone after its TTL");
    }

    [Fact]
    public async Task WriteBack_OwnersWritesStayDirty_UntilAnotherNodeReads_ThenRedisHasThem()
    {
        var k = Key("wb");
        await Node(1).SetAsync(k, "1", policy: "write-back");
        var silent = await Node(1).SetAsync(k, "2", policy: "write-back");
        Assert.True(silent.Body.GetProperty("silent").GetBoolean());

        var read = await Node(2).GetAsync(k);
        Assert.Equal(("2", silent.Body.GetProperty("version").GetInt64()), (read.Value, read.Version));
        Assert.Equal("S", (await Node(2).LinesAsync(k))["node1"]);
    }

    [Fact]
    public async Task Lines_ShowEveryNodesState_AndTheHomesDirectory()
    {
        var k = Key("lines");
        await Node(1).SetAsync(k, "1");
        await Node(2).GetAsync(k);
        var lines = await Node(3).LinesAsync(k);

        Assert.Equal(("S", "S", "I"), (lines["node1"], lines["node2"], lines["node3"]));
        var view = (await Node(3).RawGetAsync($"/cache/lines?key={k}")).Body;
        var sharers = view.GetProperty("directory").GetProperty("sharers_lease_left_ms").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["node1", "node2"], sharers);
    }

    [Theory]
    [InlineData("/cache/set", "{\"value\":1}", "key")]
    [InlineData("/cache/set", "{\"key\":\"\",\"value\":1}", "key")]
    [InlineData("/cache/set", "{\"key\":\"k\"}", "value")]
    [InlineData("/cache/set", "{\"key\":\"k\",\"value\":null}", "value")]
    [InlineData("/cache/set", "{\"key\":\"k\",\"value\":1,\"ttl_sec\":0}", "ttl_sec")]
    [InlineData("/cache/set?policy=sometimes", "{\"key\":\"k\",\"value\":1}", "policy")]
    [InlineData("/cache/delete", "{}", "key")]
    [InlineData("/cache/invalidate", "{\"key\":\"\"}", "key")]
    public async Task BadInput_Is400NamingTheField(string path, string body, string field)
    {
        var reply = await Node(2).RawAsync(path, body);

        Assert.Equal((HttpStatusCode.BadRequest, field), (reply.Code, reply.Field));
    }

    [Fact]
    public async Task OversizedKeyOrValue_Is400_AndChangesNothing()
    {
        var k = Key("big");
        var before = await Node(1).SetAsync(k, "\"small\"");

        var bigValue = await Node(1).SetAsync(k, $"\"{new string('x', 1024 * 1024)}\"");
        var bigKey = await Node(1).SetAsync(new string('k', 513), "1");
        var bigGet = await Node(1).GetAsync(new string('k', 513));

        Assert.Equal((HttpStatusCode.BadRequest, "value"), (bigValue.Code, bigValue.Field));
        Assert.Equal((HttpStatusCode.BadRequest, "key"), (bigKey.Code, bigKey.Field));
        Assert.Equal(HttpStatusCode.BadRequest, bigGet.Code);
        var read = await Node(2).GetAsync(k);
        Assert.Equal(("\"small\"", before.Body.GetProperty("version").GetInt64()), (read.Value, read.Version));
    }

    [Fact]
    public async Task ClusterView_HasTheCacheSection()
    {
        var k = Key("view");
        await Node(1).SetAsync(k, "1");

        var state = (await Node(1).RawGetAsync("/cluster/state")).Body.GetProperty("sections").GetProperty("cache");

        Assert.True(state.GetProperty("lines").GetInt32() >= 1);
        Assert.Contains(state.GetProperty("recent").EnumerateArray(), l => l.GetProperty("key").GetString() == k && l.GetProperty("state").GetString() == "M");
    }

    [Fact]
    public async Task Set_WithTwoSharers_RecordsOneInvalidateSpanPerPeer_InTheWritesTrace()
    {
        using var telemetry = new DashboardTelemetry(cluster.Dashboard!);
        var tried = new List<string>();
        var invalidations = await Eventually.UntilAsync(async () =>
        {
            // Export takes a moment: write fresh keys until one write's spans are all in.
            var k = Key("traced");
            tried.Add(k);
            await Node(2).GetAsync(k);
            await Node(3).GetAsync(k);
            Assert.Equal(HttpStatusCode.OK, (await Node(1).SetAsync(k, "1")).Code);
            var spans = await telemetry.SpansAsync();
            return tried.Select(key =>
                {
                    var set = spans.FirstOrDefault(s => s.Name == "cache.set" && s.Attributes.GetValueOrDefault("cache.key") == key);
                    var revokes = spans.Where(s => s.Name == "cache.invalidate" && s.Attributes.GetValueOrDefault("cache.key") == key
                        && s.Attributes.GetValueOrDefault("cache.revoke") == "invalidate").ToList();
                    return set is not null && revokes.Count == 2 ? revokes.Select(r => (Set: set, Revoke: r)).ToList() : null;
                })
                .FirstOrDefault(found => found is not null);
        }, Patience, "a cache.set span and its two cache.invalidate spans in the dashboard");

        Assert.All(invalidations, pair => Assert.Equal(pair.Set.TraceId, pair.Revoke.TraceId));
        Assert.Equal(["node2", "node3"], invalidations.Select(p => p.Revoke.Attributes["cache.peer"]).Order());
        Assert.All(invalidations, p => Assert.Equal("acknowledged", p.Revoke.Attributes["cache.outcome"]));
    }
}
