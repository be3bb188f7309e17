using System.Globalization;
using System.Text.Json;
using DistSync.Hosting;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.AppHost;

/// <summary>
/// What DistSync adds to Aspire, on one real cluster: each node's Raft state in its resource snapshot, the Kill, Pause,
/// Resume and Transfer leadership commands, and the restart of a crashed node. Every test leaves three agreeing nodes.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class NodeCommandsTests(NodeCommandsTests.Cluster cluster) : IClassFixture<NodeCommandsTests.Cluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public sealed class Cluster() : ClusterFixture(new ClusterSettings { RestartOnCrash = true });

    [Fact]
    public async Task RaftState_EveryNodesSnapshot_CarriesItsRoleTermAndLeader()
    {
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);

        await Eventually.UntilAsync(() => cluster.NodeNames.All(n => Property(n, "raft.leader") == leader.NodeId
                && Property(n, "raft.term") == leader.Term.ToString(CultureInfo.InvariantCulture)
                && Property(n, "raft.role") == (n == leader.NodeId ? "leader" : "follower")),
            Patience, $"every snapshot names {leader.NodeId} leader in term {leader.Term}");
        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState(leader.NodeId, out var current));
        Assert.Contains(current.Snapshot.Urls, u => RaftStatePublisher.IsClusterUrl(u.Url) && u.Url.Contains("#token=", StringComparison.Ordinal) && u.DisplayProperties.DisplayName == $"cluster view · leader, term {leader.Term}");
    }

    [Fact]
    public async Task Kill_Leader_AnotherNodeLeads_AndTheAppHostRestartsTheKilledOne()
    {
        var first = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var pid = cluster.NodePid(first.NodeId);

        await cluster.CommandAsync(first.NodeId, NodeCommands.Kill);
        var ended = await cluster.WaitForStateAsync(first.NodeId, s => s is "Exited" or "Finished", "ended");
        var second = await RaftProbe.AgreedLeaderAsync(cluster, [.. cluster.NodeNames.Where(n => n != first.NodeId)], Patience);
        await cluster.App.ResourceNotifications.WaitForResourceHealthyAsync(first.NodeId, Aspire.Hosting.ApplicationModel.WaitBehavior.WaitOnResourceUnavailable, TestContext.Current.CancellationToken)
            .WaitAsync(Patience, TestContext.Current.CancellationToken);
        var rejoined = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);

        Assert.NotEqual(0, ended.Snapshot.ExitCode);
        Assert.NotEqual(first.NodeId, second.NodeId);
        Assert.True(second.Term > first.Term, $"term {second.Term} after {first.Term}");
        Assert.NotEqual(pid, cluster.NodePid(first.NodeId));
        Assert.True(rejoined.Term >= second.Term);
    }

    [Fact]
    public async Task Pause_Leader_OthersElect_AndResumedItRejoinsAsFollower()
    {
        var first = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);

        await cluster.CommandAsync(first.NodeId, NodeCommands.Pause);
        try
        {
            var second = await RaftProbe.AgreedLeaderAsync(cluster, [.. cluster.NodeNames.Where(n => n != first.NodeId)], Patience);
            Assert.NotEqual(first.NodeId, second.NodeId);
            Assert.True(cluster.IsRunning(first.NodeId), "a paused node is still a running process");
        }
        finally
        {
            await cluster.CommandAsync(first.NodeId, NodeCommands.Resume);
        }

        var after = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        Assert.NotEqual(first.NodeId, after.NodeId);
        Assert.Equal("follower", (await RaftProbe.StatusAsync(cluster, first.NodeId))!.Role);
    }

    [Fact]
    public async Task TransferLeadershipHere_MakesThatNodeTheLeader()
    {
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var target = cluster.NodeNames.First(n => n != leader.NodeId);

        await cluster.CommandAsync(target, NodeCommands.TransferLeadership);

        var next = await Eventually.UntilAsync(
            async () => await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience) is { } v && v.NodeId == target ? v : null,
            Patience, $"{target} leads");
        Assert.True(next.Term > leader.Term);
    }

    [Fact]
    public async Task Stop_Node_ExitsCleanly_AndStartBringsItBack()
    {
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var follower = cluster.NodeNames.First(n => n != leader.NodeId);

        await cluster.CommandAsync(follower, Aspire.Hosting.ApplicationModel.KnownResourceCommands.StopCommand);
        var stopped = await cluster.WaitForStateAsync(follower, s => s is "Exited" or "Finished", "stopped");
        await cluster.StartAsync(follower);

        // Exit code 0 is what tells the AppHost a stop was meant (no restart); a crash is anything else.
        Assert.Equal(0, stopped.Snapshot.ExitCode);
        await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
    }

    private string? Property(string node, string name) =>
        cluster.App.ResourceNotifications.TryGetCurrentState(node, out var current)
            ? current.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value switch { null => null, JsonElement e => e.ToString(), var v => Convert.ToString(v, CultureInfo.InvariantCulture) }
            : null;
}
