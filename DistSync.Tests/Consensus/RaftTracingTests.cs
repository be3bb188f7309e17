using DistSync.AppHost.Dashboard.Store;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Consensus;

/// <summary>
/// Raft appends carry W3C trace context to the peer inside the stream's frames: on three real nodes exporting
/// to the AppHost's dashboard, a leader's <c>raft.append_entries</c> span has a <c>raft.append_entries.receive</c>
/// child recorded by another node, in the same trace.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RaftTracingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AppendEntries_LockTraffic_ReceiverSpanIsChildOfSenderSpanOnAnotherNode()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3, dashboard: true);
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
        var locks = new LockClient(cluster.CreateHttpClient(leader.NodeId));
        var store = cluster.Session.Telemetry!;

        var linked = await Eventually.UntilAsync(async () =>
        {
            // Keep committing until both sides' spans have been exported.
            Assert.Equal("acquired", (await locks.AcquireAsync("traced", "tracer")).Status);
            Assert.Equal(200, (int)(await locks.ReleaseAsync("traced", "tracer")).Code);
            return store.GetTraces(new TraceQuery(Name: "raft.append_entries", Limit: 1000))
                .SelectMany(trace => trace.Spans.Where(s => s.Name == "raft.append_entries.receive")
                    .Select(receive => (Receive: receive, Send: trace.Spans.FirstOrDefault(s => s.SpanId == receive.ParentSpanId))))
                .Where(pair => pair.Send is { Name: "raft.append_entries" })
                .Select(pair => (SpanData[]?)[pair.Send!, pair.Receive])
                .FirstOrDefault();
        }, Patience, "a raft.append_entries span with a receive span from a peer");

        var (send, receive) = (linked[0], linked[1]);
        Assert.Equal(send.TraceId, receive.TraceId);
        Assert.NotEqual(send.Resource, receive.Resource);
        Assert.Equal(leader.NodeId, send.Resource);
        Assert.Equal(receive.Resource, send.Attributes["raft.peer"]);
        Assert.Equal(leader.NodeId, receive.Attributes["raft.peer"]);
    }
}
