using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Sample;

/// <summary>
/// The sample app as `dotnet run --project DistSync.AppHost` starts it: it places and processes orders through
/// DistSync.Client, and the dashboard shows one trace from the app through a node to Raft.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SampleAppTests
{
    [Fact]
    public async Task SampleApp_ProcessesOrders_InTracesThatRunFromTheAppThroughANodeToRaft()
    {
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { Dashboard = true, Sample = true });
        using var telemetry = new DashboardTelemetry(cluster.Dashboard!);

        // Spans reach the dashboard at different moments: wait for one whole trace, a single tree (every span but the
        // root has its parent in it) that holds the sample's order, a node's lock acquire and that acquire's proposal.
        var trace = await Eventually.UntilAsync(async () =>
        {
            var spans = await telemetry.SpansAsync();
            return spans.GroupBy(s => s.TraceId).FirstOrDefault(t => OneTree(t)
                && t.Any(s => s.Resource.StartsWith("sample", StringComparison.Ordinal) && s.Name == "order.process" && s.ParentSpanId is null)
                && ProposalOfAnAcquire(t));
        }, TimeSpan.FromSeconds(120), "one trace from the sample's order.process through a node's lock.acquire to its raft.propose");

        Assert.Contains(trace, s => s.Resource.StartsWith("node", StringComparison.Ordinal) && s.Name == "lock.acquire");
    }

    /// <summary>A node's <c>raft.propose</c> whose parent is that node's <c>lock.acquire</c> (the trace may hold others: a session's open).</summary>
    private static bool ProposalOfAnAcquire(IEnumerable<SpanRecord> trace)
    {
        var byId = trace.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        return byId.Values.Any(s => s.Name == "raft.propose" && s.ParentSpanId is { } parent
            && byId.TryGetValue(parent, out var acquire) && acquire.Name == "lock.acquire" && acquire.Resource == s.Resource);
    }

    private static bool OneTree(IEnumerable<SpanRecord> trace)
    {
        var spans = trace.ToList();
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        return spans.Count(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)) == 1;
    }
}
