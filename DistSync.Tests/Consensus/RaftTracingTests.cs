using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Consensus;

/// <summary>
/// Raft appends carry W3C trace context to the peer inside the stream's frames: on three real nodes exporting to the
/// real Aspire dashboard, a leader's <c>raft.append_entries</c> span has a <c>raft.append_entries.receive</c> child
/// recorded by another node, in the same trace; and a fresh cluster's election is a <c>raft.election</c> span there.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RaftTracingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AppendEntries_LockTraffic_ReceiverSpanIsChildOfSenderSpanOnAnotherNode()
    {
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { Dashboard = true });
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        await using var client = cluster.CreateDistSyncClient();
        using var telemetry = new DashboardTelemetry(cluster.Dashboard!);

        var pair = await Eventually.UntilAsync(async () =>
        {
            // Keep committing until both sides' spans have been exported.
            var hold = await client.Locks.AcquireAsync("traced", cancellationToken: TestContext.Current.CancellationToken);
            await hold.DisposeAsync();
            var spans = await telemetry.SpansAsync();
            var byId = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
            return spans.Where(s => s.Name == "raft.append_entries.receive" && s.ParentSpanId is { } parent && byId.TryGetValue(parent, out var p) && p.Name == "raft.append_entries")
                .Select(s => new[] { byId[s.ParentSpanId!], s })
                .FirstOrDefault();
        }, Patience, "a raft.append_entries span with a receive span from a peer in the dashboard");
        var (send, receive) = (pair[0], pair[1]);

        Assert.Equal(send.TraceId, receive.TraceId);
        Assert.NotEqual(send.Resource, receive.Resource);
        Assert.Equal(leader.NodeId, send.Resource);
        Assert.Equal(receive.Resource, send.Attributes["raft.peer"]);
        Assert.Equal(leader.NodeId, receive.Attributes["raft.peer"]);

        var election = (await telemetry.SpansAsync()).FirstOrDefault(s => s.Name == "raft.election" && s.Resource == leader.NodeId);
        Assert.NotNull(election);
        Assert.Equal("won", election.Attributes["raft.outcome"]);
        Assert.Equal(leader.NodeId, election.Attributes["distsync.node.id"]);
    }
}
