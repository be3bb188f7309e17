using System.Net.Http.Json;
using System.Text.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Membership;

/// <summary>
/// How a cluster's data folder meets an AppHost that declares a different number of nodes, and how nodes that start
/// with empty folders in <c>Auto</c> mode form a cluster by themselves (a deployment's first roll-out). Real AppHosts,
/// one after the other on one data folder.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterGrowthTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "distsync-tests", "growth-" + Guid.NewGuid().ToString("n"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MoreNodes_OnAnExistingFolder_JoinAsVoters_AndFewer_AreRemoved_WhileTheLocksStay()
    {
        const string ClusterId = "growth-cluster";
        long token;
        await using (var three = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 3, DataDir = _dataDir, ClusterId = ClusterId }))
        {
            var locks = new LockClient(three.CreateHttpClient("node1"));
            var acquired = await locks.AcquireAsync("kept", "holder", ttlMs: 600_000);
            Assert.True(acquired.Code == System.Net.HttpStatusCode.OK, acquired.Body.GetRawText());
            token = acquired.FencingToken;
        }

        await using (var five = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 5, DataDir = _dataDir, ClusterId = ClusterId }))
        {
            var members = await VotersAsync(five, "node1", v => v.Count == 5);
            Assert.Equal(["node1", "node2", "node3", "node4", "node5"], members);
            // node4 joined: its founding record says so, and names the cluster's real founders.
            var founding = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dataDir, "node4", "founding.json"), Ct)).RootElement;
            Assert.True(founding.GetProperty("joined").GetBoolean());
            Assert.Equal(["node1", "node2", "node3"], founding.GetProperty("founders").EnumerateArray().Select(f => f.GetString()!).ToList());
            await AssertHeldAsync(five, "node5", token);
        }

        await using (var three = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 3, DataDir = _dataDir, ClusterId = ClusterId }))
        {
            // node4 and node5 are no longer declared: the AppHost removes them rather than leave two votes that never come.
            var members = await VotersAsync(three, "node1", v => v.Count == 3);
            Assert.Equal(["node1", "node2", "node3"], members);
            await AssertHeldAsync(three, "node2", token);
        }
    }

    [Fact]
    public async Task Auto_EmptyFolders_FoundTheClusterTogether()
    {
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings
        {
            DataDir = _dataDir,
            NodeEnvironment = new Dictionary<string, string> { ["DistSync__ClusterState"] = "Auto" },
        });

        Assert.Equal(["node1", "node2", "node3"], await VotersAsync(cluster, "node2", v => v.Count == 3));
        foreach (var node in cluster.NodeNames)
        {
            // A founder settles once it has seen the others' answers: the last may settle a moment after two have elected a leader.
            var file = Path.Combine(_dataDir, node, "founding.json");
            await Eventually.UntilAsync(() => File.Exists(file) && File.Exists(Path.Combine(_dataDir, node, "cluster-id")), Patience,
                $"{node} settled how it entered and recorded its cluster id");
            var founding = JsonDocument.Parse(await File.ReadAllTextAsync(file, Ct)).RootElement;
            Assert.False(founding.GetProperty("joined").GetBoolean(), $"{node} joined instead of founding");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    private static async Task<List<string>> VotersAsync(ClusterFixture cluster, string node, Func<List<string>, bool> done)
    {
        using var http = cluster.CreateHttpClient(node);
        return await Eventually.UntilAsync(async () =>
        {
            using var response = await http.GetAsync("/cluster/members", Ct);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var voters = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("members").EnumerateArray()
                .Where(m => m.GetProperty("role").GetString() == "voter").Select(m => m.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();
            return done(voters) ? voters : null;
        }, Patience, $"the voters as expected, seen from {node}");
    }

    private static async Task AssertHeldAsync(ClusterFixture cluster, string node, long token)
    {
        using var http = cluster.CreateHttpClient(node);
        var state = await http.GetFromJsonAsync<JsonElement>("/locks/resource?name=kept", Ct);
        Assert.Contains(token.ToString(System.Globalization.CultureInfo.InvariantCulture), state.GetRawText(), StringComparison.Ordinal);
    }
}
