using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DistSync.Hosting;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Queue;

/// <summary>
/// No acknowledged publish is lost while nodes fail: producers and consumers on all three nodes while the owner of the
/// most partitions is SIGKILLed and restarted, then frozen with SIGSTOP past the grace period (it wakes in an old
/// epoch with requests queued, the case fencing exists for), then the Raft leader is killed and restarted. The
/// history is checked in the test: every acked publish delivered at least once, nothing delivered by a consume that
/// began after the message's ack returned, and one owner per partition per epoch.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueFailoverTests
{
    private const string Topic = "failover";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private sealed record Published(string Producer, int Seq, string Id, int Partition, long? Offset, string Owner, long Epoch);

    private sealed record Delivery(string Id, string Payload, long DeliveryCount, long ConsumeStarted, string Node);

    [Fact]
    public async Task ProducersAndConsumers_OwnerKilledPausedAndLeaderKilled_NoAckedPublishLost()
    {
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings
        {
            NodeEnvironment = new Dictionary<string, string> { ["DistSync__Queue__Topics__failover__VisibilityTimeoutSec"] = "2" },
        });
        await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(60));
        var published = new ConcurrentDictionary<string, Published>();
        var deliveries = new ConcurrentBag<Delivery>();
        var ackedAt = new ConcurrentDictionary<string, long>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var producing = true;

        HttpClient Client(string node) { var c = cluster.CreateHttpClient(node); c.Timeout = TimeSpan.FromSeconds(3); return c; }

        async Task ProduceAsync(int producer)
        {
            for (var seq = 0; producing && !stop.IsCancellationRequested; seq++)
            {
                for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
                {
                    var node = cluster.NodeNames[(producer + attempt) % 3];
                    try
                    {
                        // The dedup id makes a retry after an unknown outcome publish once.
                        var reply = await new QueueClient(Client(node)).PublishAsync(Topic, $"{{\"p\":{producer},\"seq\":{seq}}}", dedupId: $"p{producer}-{seq}");
                        if (reply.Code == HttpStatusCode.OK)
                        {
                            var body = reply.Body;
                            published[reply.Id] = new Published($"p{producer}", seq, reply.Id, body.GetProperty("partition").GetInt32(),
                                body.GetProperty("offset").ValueKind == JsonValueKind.Number ? body.GetProperty("offset").GetInt64() : null,
                                body.GetProperty("owner").GetString()!, body.GetProperty("epoch").GetInt64());
                            break;
                        }

                        Assert.True(reply.Code == HttpStatusCode.ServiceUnavailable, $"publish through {node}: {(int)reply.Code} {reply.Text}");
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
                    {
                        // That node is down or frozen: the next one.
                    }
                }
            }
        }

        async Task ConsumeAsync(int consumer)
        {
            for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
            {
                var node = cluster.NodeNames[(consumer + attempt) % 3];
                try
                {
                    var client = new QueueClient(Client(node));
                    var started = Stopwatch.GetTimestamp();
                    var page = await client.ConsumeAsync(Topic, waitSec: 1, maxMessages: 10);
                    if (page.Status != "ok")
                    {
                        continue;
                    }

                    foreach (var m in page.Body.GetProperty("messages").EnumerateArray())
                    {
                        var id = m.GetProperty("id").GetString()!;
                        deliveries.Add(new Delivery(id, m.GetProperty("payload").GetRawText(), m.GetProperty("delivery_count").GetInt64(), started, node));
                        await AckAsync(consumer + attempt, id, m.GetProperty("receipt").GetString()!);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
                {
                    // Down or frozen node; unacked messages come back after their visibility timeout.
                }
            }
        }

        // An ack whose answer was lost may have happened: ask again elsewhere; "not found" then means it did.
        async Task AckAsync(int start, string id, string receipt)
        {
            for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
            {
                try
                {
                    var ack = await new QueueClient(Client(cluster.NodeNames[(start + attempt) % 3])).PostAsync("/queue/ack", new() { ["topic"] = Topic, ["id"] = id, ["receipt"] = receipt });
                    if (ack.Status == "acked" || (attempt > 0 && ack.Code == HttpStatusCode.NotFound))
                    {
                        ackedAt.TryAdd(id, Stopwatch.GetTimestamp());
                        return;
                    }

                    if (ack.Code is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
                    {
                        return; // already acked through another delivery, or delivered again since: that delivery acks it
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
                {
                    // Unknown outcome: try again.
                }
            }
        }

        var workers = Enumerable.Range(0, 3).Select(ProduceAsync).Concat(Enumerable.Range(0, 3).Select(ConsumeAsync)).ToList();
        await Eventually.UntilAsync(() => published.Count >= 150, Patience, "150 messages published before the first fault");

        var busiest = await BusiestOwnerAsync(cluster);
        await cluster.KillAsync(busiest);
        await RingAsync(cluster, busiest, member: false);
        await cluster.StartAsync(busiest);
        await RingAsync(cluster, busiest, member: true);
        await Eventually.UntilAsync(() => published.Count >= 400, Patience, "publishing goes on after the kill");

        busiest = await BusiestOwnerAsync(cluster);
        await cluster.CommandAsync(busiest, NodeCommands.Pause);
        await RingAsync(cluster, busiest, member: false);
        await cluster.CommandAsync(busiest, NodeCommands.Resume);
        await RingAsync(cluster, busiest, member: true);
        await Eventually.UntilAsync(() => published.Count >= 650, Patience, "publishing goes on after the pause");

        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(60));
        await cluster.KillAsync(leader.NodeId);
        await RaftProbe.AgreedLeaderAsync(cluster, [.. cluster.NodeNames.Where(n => n != leader.NodeId)], TimeSpan.FromSeconds(60));
        await cluster.StartAsync(leader.NodeId);
        await Eventually.UntilAsync(() => published.Count >= 900, Patience, "publishing goes on after the leader's kill");

        producing = false;
        try
        {
            await Eventually.UntilAsync(() => published.Keys.All(ackedAt.ContainsKey), Patience, "every acked publish delivered and acked");
        }
        catch (TimeoutException)
        {
            var missing = published.Values.Where(p => !ackedAt.ContainsKey(p.Id)).ToList();
            var stats = await new QueueClient(cluster.CreateHttpClient(cluster.NodeNames[0])).GetAsync($"/queue/stats?topic={Topic}");
            Assert.Fail($"{missing.Count} of {published.Count} acked publishes never delivered; by partition/epoch/owner: " +
                string.Join(", ", missing.GroupBy(m => (m.Partition, m.Epoch, m.Owner)).Select(g => $"p{g.Key.Partition} e{g.Key.Epoch} {g.Key.Owner}: {g.Count()}")) +
                $"; delivered but not acked: {missing.Count(m => deliveries.Any(d => d.Id == m.Id))}; stats {stats.Text}");
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        // At least once: every acked publish was delivered, with its payload.
        var delivered = deliveries.GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var p in published.Values)
        {
            Assert.True(delivered.TryGetValue(p.Id, out var got), $"{p.Producer}#{p.Seq} ({p.Id}) was acked as published and never delivered");
            Assert.Equal($"{{\"p\":{p.Producer[1..]},\"seq\":{p.Seq}}}", got[0].Payload);
        }

        // Never after its ack: no consume that began after the ack returned delivered the message.
        foreach (var d in deliveries)
        {
            Assert.False(ackedAt.TryGetValue(d.Id, out var acked) && d.ConsumeStarted > acked, $"{d.Id} delivered by {d.Node} (delivery {d.DeliveryCount}) after its ack returned");
        }

        // One writer per partition per epoch, as the owners reported themselves in their answers.
        foreach (var group in published.Values.GroupBy(p => (p.Partition, p.Epoch)))
        {
            Assert.Single(group.Select(p => p.Owner).Distinct());
        }

        // The fence: in the order Redis stored a partition's messages (their offsets), the epoch never goes down:
        // once a new owner has written, no write of a deposed one lands.
        foreach (var partition in published.Values.Where(p => p.Offset is not null).GroupBy(p => p.Partition))
        {
            var stored = partition.OrderBy(p => p.Offset).ToList();
            for (var i = 1; i < stored.Count; i++)
            {
                Assert.True(stored[i].Epoch >= stored[i - 1].Epoch,
                    $"partition {partition.Key}: offset {stored[i].Offset} written by {stored[i].Owner} in epoch {stored[i].Epoch} after offset {stored[i - 1].Offset} by {stored[i - 1].Owner} in epoch {stored[i - 1].Epoch}");
            }
        }

        TestContext.Current.SendDiagnosticMessage($"{published.Count} published, {deliveries.Count} deliveries ({deliveries.Count - delivered.Count} redeliveries), " +
            $"epochs {string.Join(",", published.Values.Select(p => p.Epoch).Distinct().Order())}");
    }

    private static async Task<string> BusiestOwnerAsync(ClusterFixture cluster)
    {
        var stats = await new QueueClient(cluster.CreateHttpClient(cluster.NodeNames.First(cluster.IsRunning))).GetAsync($"/queue/stats?topic={Topic}");
        return stats.Body.GetProperty("partition_stats").EnumerateArray().GroupBy(p => p.GetProperty("owner").GetString()!).MaxBy(g => g.Count())!.Key;
    }

    /// <summary>Waits until a node other than <paramref name="node"/> has applied a ring with (or without) it.</summary>
    private static Task RingAsync(ClusterFixture cluster, string node, bool member) =>
        Eventually.UntilAsync(async () =>
        {
            using var http = cluster.CreateHttpClient(cluster.NodeNames.First(n => n != node && cluster.IsRunning(n)));
            http.Timeout = TimeSpan.FromSeconds(2);
            var members = (await new QueueClient(http).GetAsync("/queue/stats")).Body.GetProperty("ring_members").EnumerateArray().Select(m => m.GetString());
            return members.Contains(node) == member;
        }, Patience, member ? $"{node} back in the ring" : $"the ring without {node}");
}
