using System.Diagnostics;
using DistSync.Client;
using DistSync.Node.Consensus;
using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistSync.Tests.Queue;

/// <summary>
/// An owner's periodic work grows with what is due or changed, not with topics × partitions: a node owning 2,000
/// idle topics of 8 partitions (16,000 partitions) makes no Redis call and looks at no partition while nothing is due,
/// and a new topic's creation looks at that topic's partitions only. (A pass over every partition would visit 16,000;
/// the cluster's bound, 80,000, would only make the test five times longer: each take-over is a script.) A node in this process, its
/// topics proposed straight to its Raft host; Redis's own command counts say what the node asked of it.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueIdleCostTests
{
    private const int Topics = 2_000;
    private const int Partitions = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Owner_2000IdleTopics_NoRedisCallAndNoPartitionVisitedPerTick_ACreationTouchesItsOwnPartitions()
    {
        // A client creates a topic with the default partition count, so the default is this test's.
        await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?> { ["DistSync:Queue:DefaultPartitions"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        // Its retries wait for the node to lead and take the publish.
        await using var client = new DistSyncClient(new DistSyncClientOptions { Endpoints = [node.Url], Token = InProcessNode.AdminToken, RetryFor = TimeSpan.FromSeconds(30) });
        var run = Guid.NewGuid().ToString("n")[..8];
        await client.Queue.PublishAsync($"{run}-0", 0, cancellationToken: Ct);
        // One message in flight, due in 10 minutes.
        var consumed = await client.Queue.ConsumeBatchAsync<int>($"{run}-0", 1,
            new ConsumeOptions { VisibilityTimeout = TimeSpan.FromMinutes(10), Wait = TimeSpan.FromSeconds(5) }, Ct);
        var raft = node.Services.GetRequiredService<RaftHost>();
        var owned = node.Services.GetRequiredService<OwnedPartitions>();
        var topics = node.Services.GetRequiredService<TopicRegistry>();
        var scheduler = node.Services.GetServices<IHostedService>().OfType<RedeliveryScheduler>().Single();

        // All but the last topic, 64 proposals at a time; the owner takes every partition over (a script each).
        var creating = Stopwatch.StartNew();
        foreach (var chunk in Enumerable.Range(1, Topics - 2).Chunk(64))
        {
            await Task.WhenAll(chunk.Select(i => raft.ProposeAsync(topics, new TopicConfig($"{run}-{i}", Partitions, 5, 30), Ct)));
        }

        await Eventually.UntilAsync(() => Task.FromResult(owned.All.Count() == (Topics - 1) * Partitions), TimeSpan.FromMinutes(5), "every partition taken over");
        var createdIn = creating.Elapsed;

        // Idle: two housekeeping periods (5 s each) and more.
        var redis0 = await ScriptCallsAsync(node);
        var (visited0, checked0) = (owned.Visited, scheduler.PartitionsChecked);
        await Task.Delay(TimeSpan.FromSeconds(11), Ct);
        var idleCalls = await ScriptCallsAsync(node) - redis0;
        var (idleVisited, idleChecked) = (owned.Visited - visited0, scheduler.PartitionsChecked - checked0);

        // One more topic: its partitions are taken over, and only they are looked at.
        var redis1 = await ScriptCallsAsync(node);
        var (visited1, checked1) = (owned.Visited, scheduler.PartitionsChecked);
        await raft.ProposeAsync(topics, new TopicConfig($"{run}-last", Partitions, 5, 30), Ct);
        await Eventually.UntilAsync(() => Task.FromResult(owned.All.Count() == Topics * Partitions), TimeSpan.FromSeconds(30), "the new topic's partitions taken over");
        await Task.Delay(TimeSpan.FromSeconds(1), Ct); // whatever else the creation set off
        var createCalls = await ScriptCallsAsync(node) - redis1;
        var (createVisited, createChecked) = (owned.Visited - visited1, scheduler.PartitionsChecked - checked1);

        TestContext.Current.TestOutputHelper?.WriteLine($"{Topics - 1} topics of {Partitions} partitions created and taken over in {createdIn.TotalSeconds:F1} s; "
            + $"idle 11 s: {idleCalls} script calls, {idleVisited} partition views visited, {idleChecked} partitions checked for take-over; "
            + $"one more topic: {createCalls} script calls, {createVisited} visited, {createChecked} checked");

        Assert.Single(consumed);
        Assert.InRange(idleCalls, 0, 1); // at most the one partition with a message in flight, read once for its gauge after it changed
        Assert.InRange(idleVisited, 0, 10); // a wake looks at the earliest deadline, not at every partition
        Assert.Equal(0, idleChecked);
        Assert.Equal(Partitions, createCalls);
        Assert.InRange(createVisited, 0, 10);
        Assert.Equal(Partitions, createChecked);
    }

    /// <summary>Scripts Redis has run (EVAL and EVALSHA), from its own command statistics.</summary>
    private static async Task<long> ScriptCallsAsync(InProcessNode node)
    {
        var info = (string)(await node.Redis.Connection.GetDatabase().ExecuteAsync("INFO", "commandstats"))!;
        return info.Split('\n').Where(l => l.StartsWith("cmdstat_eval:", StringComparison.Ordinal) || l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.IndexOf("calls=", StringComparison.Ordinal) + "calls=".Length)..l.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture));
    }
}
