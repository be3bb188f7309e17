using System.Diagnostics;
using System.Net.Http.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Consensus;

/// <summary>Raft across real node processes started by the Aspire AppHost, with default timeouts.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RaftClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FreshCluster_ElectsExactlyOneLeader_WithOneAgreedTerm()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3);

        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var views = await RaftProbe.StatusesAsync(cluster, cluster.NodeNames);

        Assert.Single(views, v => v.Role == "leader");
        Assert.All(views, v => Assert.Equal(leader.Term, v.Term));
        Assert.All(views, v => Assert.Equal(leader.NodeId, v.LeaderId));
        // The new leader's empty entry commits everywhere (Raft §5.4.2 / §8).
        await Eventually.UntilAsync(async () => (await RaftProbe.StatusesAsync(cluster, cluster.NodeNames)).All(v => v.LastApplied >= 1), Patience, "the leader's first entry applied on every node");
    }

    [Fact]
    public async Task LeaderKilled_RemainingNodesElectANewLeader_AndTheOldOneRejoins()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3);
        var first = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var survivors = cluster.NodeNames.Where(n => n != first.NodeId).ToList();

        var killedAt = Stopwatch.StartNew();
        await cluster.KillAsync(first.NodeId);
        var second = await RaftProbe.AgreedLeaderAsync(cluster, survivors, Patience);
        var failover = killedAt.Elapsed;

        Assert.NotEqual(first.NodeId, second.NodeId);
        Assert.True(second.Term > first.Term, $"new term {second.Term} must exceed {first.Term}");
        TestContext.Current.SendDiagnosticMessage($"failover took {failover.TotalMilliseconds:F0} ms");

        await cluster.StartAsync(first.NodeId);
        var rejoined = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var leaderCommit = (await RaftProbe.StatusAsync(cluster, rejoined.NodeId))!.CommitIndex;
        await Eventually.UntilAsync(
            async () => (await RaftProbe.StatusAsync(cluster, first.NodeId))?.LastApplied >= leaderCommit,
            Patience, $"{first.NodeId} caught up to commit index {leaderCommit}");
    }

    [Fact]
    public async Task NodeRestartedAlone_KeepsItsLogAndTermFromDisk()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3);
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var follower = cluster.NodeNames.First(n => n != leader.NodeId);
        var before = await Eventually.UntilAsync(
            async () => await RaftProbe.StatusAsync(cluster, follower) is { LastIndex: >= 1 } v ? v : null, Patience, "follower has the leader's entry");

        // Stop everyone, then start the follower alone: nothing can reach it, so all it knows comes from its disk.
        foreach (var node in cluster.NodeNames)
        {
            await cluster.KillAsync(node);
        }

        await cluster.StartAsync(follower);
        var after = await Eventually.UntilAsync(() => RaftProbe.StatusAsync(cluster, follower), Patience, "restarted follower answers");

        Assert.True(after.LastIndex >= before.LastIndex, $"log shrank from {before.LastIndex} to {after.LastIndex}");
        Assert.True(after.Term >= before.Term, $"term went back from {before.Term} to {after.Term}");
        Assert.NotEqual("leader", after.Role); // alone, it can never win a majority
    }

    [Fact]
    public async Task FollowerBehindACompactedLog_CatchesUpBySnapshot_WithTheSameLockTable()
    {
        // Snapshot every 50 entries, so the leader compacts away what the stopped follower lacks.
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { NodeEnvironment = new Dictionary<string, string> { ["DistSync__Raft__SnapshotEvery"] = "50" } });
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var lagging = cluster.NodeNames.First(n => n != leader.NodeId);
        await cluster.KillAsync(lagging);

        var locks = new LockClient(cluster.CreateHttpClient(leader.NodeId));
        for (var i = 0; i < 120; i++)
        {
            Assert.Equal("acquired", (await locks.AcquireAsync($"snap-{i}", $"owner-{i % 7}", ttlMs: 600_000)).Status);
        }

        Assert.True(await SnapshotIndexAsync(cluster, leader.NodeId) >= 50, "the leader never compacted its log");
        await cluster.StartAsync(lagging);

        var leaderTable = await LocalLocksAsync(cluster, leader.NodeId);
        await Eventually.UntilAsync(async () => await LocalLocksAsync(cluster, lagging) == leaderTable, Patience, $"{lagging} holds the leader's lock table");
        Assert.True(await SnapshotIndexAsync(cluster, lagging) >= 50, $"{lagging} caught up without a snapshot");
    }

    private static async Task<long> SnapshotIndexAsync(ClusterFixture cluster, string node)
    {
        using var http = cluster.CreateHttpClient(node);
        var status = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/raft/status", TestContext.Current.CancellationToken);
        return status.GetProperty("snapshot_index").GetInt64();
    }

    private static async Task<string> LocalLocksAsync(ClusterFixture cluster, string node)
    {
        using var http = cluster.CreateHttpClient(node);
        var state = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/locks/state?consistency=local", TestContext.Current.CancellationToken);
        return state.GetProperty("locks").GetRawText();
    }

    [Fact]
    public async Task TransferLeadership_ToAFollower_MakesItTheLeader()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3);
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var target = cluster.NodeNames.First(n => n != leader.NodeId);
        using var http = cluster.CreateHttpClient(leader.NodeId);

        using var response = await http.PostAsJsonAsync("/raft/transfer-leadership", new { target }, TestContext.Current.CancellationToken);
        var next = await Eventually.UntilAsync(
            async () => await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience) is { } v && v.NodeId == target ? v : null,
            Patience, $"{target} leads");

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(next.Term > leader.Term);
    }

    [Fact]
    public async Task TransferLeadership_UnknownTarget_Is400()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 1);
        using var http = cluster.CreateHttpClient("node1");

        using var response = await http.PostAsJsonAsync("/raft/transfer-leadership", new { target = "node9" }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("target", body.GetProperty("field").GetString());
    }
}
