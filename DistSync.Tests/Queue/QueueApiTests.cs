using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Queue;

/// <summary>The queue through every node of a real three-node cluster: the original's walk-through and everything around it.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueApiTests(QueueApiTests.Cluster cluster) : IClassFixture<QueueApiTests.Cluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private QueueClient Node(int i) => new(cluster.CreateHttpClient($"node{i}"));

    [Fact]
    public async Task Walkthrough_PublishOnOne_ConsumeOnAnother_PayloadsIntact_AckRemoves()
    {
        string[] payloads = ["{\"order\": 17, \"items\": [\"a\", \"b\"]}", "\"just a string\"", "[1, 2.50, null, {\"é\": true}]"];
        var topic = $"walk-{Guid.NewGuid():n}";
        var ids = new List<string>();
        foreach (var payload in payloads)
        {
            var published = await Node(1).PublishAsync(topic, payload);
            Assert.Equal((HttpStatusCode.OK, "queued"), (published.Code, published.Status));
            ids.Add(published.Id);
        }

        var delivered = new Dictionary<string, JsonElement>();
        while (delivered.Count < payloads.Length)
        {
            var consumed = await Node(2).ConsumeAsync(topic, waitSec: 5);
            Assert.Equal("ok", consumed.Status);
            delivered[consumed.Id] = consumed.Body;
        }

        Assert.Equal(ids.Order(), delivered.Keys.Order());
        foreach (var (id, payload) in ids.Zip(payloads))
        {
            Assert.Equal(payload, delivered[id].GetProperty("payload").GetRawText());
            Assert.Equal(1, delivered[id].GetProperty("delivery_count").GetInt64());
            Assert.Equal("acked", (await Node(3).AckAsync(topic, id)).Status);
        }

        var stats = (await Node(1).GetAsync($"/queue/stats?topic={topic}")).Body;
        Assert.Equal((0, 0), (stats.GetProperty("ready").GetInt64(), stats.GetProperty("in_flight").GetInt64()));
        Assert.Equal("empty", (await Node(3).ConsumeAsync(topic)).Status);
    }

    [Fact]
    public async Task RedisBackAtAnOlderState_NewMessagesAreStillDelivered()
    {
        // A Redis restarted from its append-only file can lack its last acknowledged writes, a partition's version
        // counter among them: the owner must not take the answers that follow for late ones and keep counting the
        // partition empty.
        var ct = TestContext.Current.CancellationToken;
        var topic = $"rollback-{Guid.NewGuid():n}";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Node(1).PublishAsync(topic, $"{i}", partitions: 1)).Code);
        }

        for (var taken = 0; taken < 5; taken++)
        {
            var consumed = await Node(2).ConsumeAsync(topic, waitSec: 5);
            Assert.Equal("acked", (await Node(3).AckAsync(topic, consumed.Id)).Status);
        }

        Assert.Equal("empty", (await Node(1).ConsumeAsync(topic)).Status); // every owner now knows the partition empty, at a version past 10
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
            await cluster.App.GetConnectionStringAsync("redis", ct) ?? throw new InvalidOperationException("no Redis connection string")))
        {
            // What a restart from an older file does: the version back to an earlier value, and every client's connection gone.
            await redis.GetDatabase().StringSetAsync(DistSync.Node.Queue.PartitionKeys.For(topic, 0).All[10], 1);
            await redis.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        }

        // The first publish may meet the cut connection (a 503 that may have been applied): sent again under its request
        // id until the node has its Redis connection back.
        var publishAfter = new Dictionary<string, object?> { ["topic"] = topic, ["payload"] = "after", ["request_id"] = $"after-{topic}" };
        var after = await Eventually.UntilAsync(async () => await Node(1).PostAsync("/queue/publish", publishAfter) is { Code: HttpStatusCode.OK } reply ? reply : null,
            Patience, "the publish after the cut answered");
        var delivered = await Eventually.UntilAsync(async () => await Node(2).ConsumeAsync(topic, waitSec: 1) is { Status: "ok" } reply ? reply : null,
            Patience, "the message published after the rollback delivered");
        Assert.Equal(after.Id, delivered.Id);
    }

    [Fact]
    public async Task Unacked_ComesBackByItself_AfterItsVisibilityTimeout_ThroughAnyNode()
    {
        var topic = $"vis-{Guid.NewGuid():n}";
        var id = (await Node(1).PublishAsync(topic, "{\"x\":1}")).Id;
        var first = await Node(2).ConsumeAsync(topic, visibilitySec: 1, waitSec: 5);
        Assert.Equal(id, first.Id);

        // Nobody asks for a requeue: the owner puts it back when the timeout passes, which wakes this long poll.
        var again = await Node(3).ConsumeAsync(topic, waitSec: 10);

        Assert.Equal(id, again.Id);
        Assert.Equal(2, again.Body.GetProperty("delivery_count").GetInt64());
        Assert.Equal("stale_receipt", (await Node(1).PostAsync("/queue/ack", new() { ["topic"] = topic, ["id"] = id, ["receipt"] = first.Body.GetProperty("receipt").GetString() })).Status);
        Assert.Equal("acked", (await Node(1).PostAsync("/queue/ack", new() { ["topic"] = topic, ["id"] = id, ["receipt"] = again.Body.GetProperty("receipt").GetString() })).Status);
    }

    [Fact]
    public async Task Acked_IsNeverDeliveredAgain()
    {
        var topic = $"acked-{Guid.NewGuid():n}";
        var id = (await Node(1).PublishAsync(topic, "1")).Id;
        await Node(2).ConsumeAsync(topic, visibilitySec: 1, waitSec: 5);

        Assert.Equal("acked", (await Node(3).AckAsync(topic, id)).Status);
        var after = await Node(1).ConsumeAsync(topic, waitSec: 2.5); // past the visibility timeout

        Assert.Equal("empty", after.Status);
    }

    [Fact]
    public async Task MaxDeliveries_Used_GoesToDeadLetters_RedrivePutsItBack()
    {
        var topic = $"dead-{Guid.NewGuid():n}";
        var id = (await Node(1).PublishAsync(topic, "{\"poison\":true}", maxDeliveries: 2)).Id;
        for (var i = 1; i <= 2; i++)
        {
            var consumed = await Node(i).ConsumeAsync(topic, visibilitySec: 0.3, waitSec: 5);
            Assert.Equal((id, (long)i), (consumed.Id, consumed.Body.GetProperty("delivery_count").GetInt64()));
        }

        var dead = (await Eventually.UntilAsync(async () =>
            await Node(3).GetAsync($"/queue/dead_letters?topic={topic}") is { } r && r.Body.GetProperty("count").GetInt64() == 1 ? r.Body : (JsonElement?)null,
            Patience, "the message in the dead letters"))!.Value;
        Assert.Equal("empty", (await Node(1).ConsumeAsync(topic)).Status);
        var letter = Assert.Single(dead.GetProperty("messages").EnumerateArray());
        Assert.Equal((id, 2L, "{\"poison\":true}"), (letter.GetProperty("id").GetString(), letter.GetProperty("delivery_count").GetInt64(), letter.GetProperty("payload").GetRawText()));

        Assert.Equal(1, (await Node(2).PostAsync("/queue/redrive", new() { ["topic"] = topic })).Body.GetProperty("redriven").GetInt64());
        var back = await Node(3).ConsumeAsync(topic, waitSec: 5);
        Assert.Equal((id, 1L), (back.Id, back.Body.GetProperty("delivery_count").GetInt64()));
    }

    [Fact]
    public async Task LongPoll_WaitingConsumer_IsAnsweredByAPublishLongBeforeItsWaitEnds()
    {
        var topic = $"poll-{Guid.NewGuid():n}";
        await Node(1).PublishAsync(topic, "0");
        await Node(1).AckAsync(topic, (await Node(1).ConsumeAsync(topic, waitSec: 5)).Id); // the topic exists and is empty

        var asked = Stopwatch.StartNew();
        var waiting = Node(3).ConsumeAsync(topic, waitSec: 20);
        await Task.Delay(300, TestContext.Current.CancellationToken); // let the consumer reach its wait: this only makes the test harder
        Assert.False(waiting.IsCompleted, "the consumer should be waiting");
        var sent = Stopwatch.StartNew();
        var id = (await Node(1).PublishAsync(topic, "{\"hello\":\"poll\"}")).Id;
        var got = await waiting;

        Assert.Equal(id, got.Id);
        // Its 20 s wait began after the request left here, so an answer sooner than 20 s after that was the publish's doing.
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(20), $"answered {sent.Elapsed.TotalMilliseconds:F0} ms after the publish; the end of its 20 s wait woke it");
        TestContext.Current.SendDiagnosticMessage($"long poll answered {sent.Elapsed.TotalMilliseconds:F1} ms after the publish returned");
    }

    [Fact]
    public async Task DedupId_SeenWithinTheWindow_ReturnsTheFirstId_QueuesNothing()
    {
        var topic = $"dedup-{Guid.NewGuid():n}";
        var first = await Node(1).PublishAsync(topic, "{\"n\":1}", dedupId: "payment-42");
        var second = await Node(2).PublishAsync(topic, "{\"n\":2}", dedupId: "payment-42");

        Assert.Equal(("queued", "duplicate"), (first.Status, second.Status));
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(1, (await Node(3).GetAsync($"/queue/stats?topic={topic}")).Body.GetProperty("ready").GetInt64());
    }

    [Fact]
    public async Task RequestId_SentAgain_AnsweredAsTheFirstTime_AppliedOnce()
    {
        var topic = $"reqid-{Guid.NewGuid():n}";
        var publish = new Dictionary<string, object?> { ["topic"] = topic, ["payload"] = 7, ["request_id"] = "pub-1" };
        var first = await Node(1).PostAsync("/queue/publish", publish);
        var again = await Node(2).PostAsync("/queue/publish", publish); // its answer was lost: sent again, through another node
        var consumed = await Node(3).ConsumeAsync(topic, waitSec: 5);
        var ack = new Dictionary<string, object?> { ["topic"] = topic, ["id"] = first.Id, ["receipt"] = consumed.Body.GetProperty("receipt").GetString(), ["request_id"] = "ack-1" };
        var acked = await Node(1).PostAsync("/queue/ack", ack);
        var ackedAgain = await Node(2).PostAsync("/queue/ack", ack);

        Assert.Equal(("queued", "queued"), (first.Status, again.Status)); // not "duplicate": the same answer
        Assert.Equal((first.Id, first.Body.GetProperty("offset").GetInt64()), (again.Id, again.Body.GetProperty("offset").GetInt64()));
        Assert.Equal(first.Id, consumed.Id);
        Assert.Equal("empty", (await Node(1).ConsumeAsync(topic)).Status); // one message stored
        Assert.Equal(("acked", HttpStatusCode.OK, "acked"), (acked.Status, ackedAgain.Code, ackedAgain.Status));
    }

    [Fact]
    public async Task RequestId_OnAConsume_ARepeatGetsTheSameLease_AFirstAttemptOfAnotherTakesTheNext()
    {
        var topic = $"consume-reqid-{Guid.NewGuid():n}";
        foreach (var payload in new[] { "1", "2" })
        {
            Assert.Equal(HttpStatusCode.OK, (await Node(1).PublishAsync(topic, payload, partitions: 1)).Code);
        }

        Dictionary<string, object?> Consume(string requestId, int? attempt) =>
            new() { ["topic"] = topic, ["wait_sec"] = 5, ["request_id"] = requestId, ["attempt"] = attempt };
        var first = await Node(2).PostAsync("/queue/consume", Consume("c-1", 1));
        var retried = await Node(3).PostAsync("/queue/consume", Consume("c-1", 2)); // its answer was lost: tried again elsewhere
        var unnumbered = await Node(1).PostAsync("/queue/consume", Consume("c-1", null)); // no attempt: may be a repeat
        var other = await Node(2).PostAsync("/queue/consume", Consume("c-2", 1));
        var noZero = await Node(1).PostAsync("/queue/consume", Consume("c-3", 0));
        var noId = await Node(1).PostAsync("/queue/consume", new() { ["topic"] = topic, ["attempt"] = 1 });

        var receipt = first.Body.GetProperty("receipt").GetString();
        Assert.Equal((first.Id, receipt), (retried.Id, retried.Body.GetProperty("receipt").GetString()));
        Assert.Equal((first.Id, receipt), (unnumbered.Id, unnumbered.Body.GetProperty("receipt").GetString()));
        Assert.Equal(1, retried.Body.GetProperty("delivery_count").GetInt64()); // one delivery, counted once
        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal((HttpStatusCode.BadRequest, "attempt"), (noZero.Code, noZero.Field));
        Assert.Equal((HttpStatusCode.BadRequest, "attempt"), (noId.Code, noId.Field));
    }

    [Fact]
    public async Task Batch_HundredMessages_SpreadOverPartitions_KeyKeepsOrder_AckBatch()
    {
        var topic = $"batch-{Guid.NewGuid():n}";
        var messages = Enumerable.Range(0, 100).Select(i => new Dictionary<string, object?> { ["payload"] = i, ["key"] = i < 20 ? "same-key" : $"k{i}" }).ToList();
        var batch = await Node(2).PostAsync("/queue/publish_batch", new() { ["topic"] = topic, ["messages"] = messages });
        var published = batch.Body.GetProperty("messages").EnumerateArray().ToList();

        Assert.Equal(100, published.Count);
        Assert.Single(published.Take(20).Select(p => p.GetProperty("partition").GetInt32()).Distinct());
        Assert.True(published.Select(p => p.GetProperty("partition").GetInt32()).Distinct().Count() >= 6, "100 keys should reach most of the 8 partitions");

        var delivered = new List<JsonElement>();
        while (delivered.Count < 100)
        {
            var page = await Node(1).ConsumeAsync(topic, waitSec: 5, maxMessages: 100);
            Assert.Equal("ok", page.Status);
            delivered.AddRange(page.Body.GetProperty("messages").EnumerateArray());
        }

        var sameKey = delivered.Where(d => d.GetProperty("key").GetString() == "same-key").Select(d => d.GetProperty("payload").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, 20), sameKey);
        var acks = await Node(3).PostAsync("/queue/ack_batch", new()
        {
            ["topic"] = topic,
            ["messages"] = delivered.Select(d => new Dictionary<string, object?> { ["id"] = d.GetProperty("id").GetString(), ["receipt"] = d.GetProperty("receipt").GetString() }).ToList(),
        });
        Assert.All(acks.Body.GetProperty("messages").EnumerateArray(), a => Assert.Equal("acked", a.GetProperty("status").GetString()));
        Assert.Equal(0, (await Node(1).GetAsync($"/queue/stats?topic={topic}")).Body.GetProperty("in_flight").GetInt64());
    }

    [Fact]
    public async Task Nack_ReturnsTheMessageAtOnce()
    {
        var topic = $"nack-{Guid.NewGuid():n}";
        var id = (await Node(1).PublishAsync(topic, "true")).Id;
        await Node(2).ConsumeAsync(topic, visibilitySec: 600, waitSec: 5);

        Assert.Equal("nacked", (await Node(3).NackAsync(topic, id)).Status);
        var again = await Node(1).ConsumeAsync(topic, waitSec: 5);

        Assert.Equal((id, 2L), (again.Id, again.Body.GetProperty("delivery_count").GetInt64()));
        Assert.Equal("acked", (await Node(2).AckAsync(topic, id)).Status);
        var late = await Node(2).NackAsync(topic, id);
        Assert.Equal((HttpStatusCode.Conflict, "not_in_flight"), (late.Code, late.Status));
    }

    [Theory]
    [InlineData("/queue/publish", "{\"payload\":1}", "topic")]
    [InlineData("/queue/publish", "{\"topic\":\"t\"}", "payload")]
    [InlineData("/queue/publish", "{\"topic\":\"a b\",\"payload\":1}", "topic")]
    [InlineData("/queue/publish", "{\"topic\":\"t\",\"payload\":1,\"delay_sec\":-1}", "delay_sec")]
    [InlineData("/queue/publish", "{\"topic\":\"t\",\"payload\":1,\"partitions\":0}", "partitions")]
    [InlineData("/queue/publish_batch", "{\"topic\":\"t\",\"messages\":[]}", "messages")]
    [InlineData("/queue/publish_batch", "{\"topic\":\"t\",\"messages\":[{\"payload\":1},{\"key\":\"k\"}]}", "messages[1].payload")]
    [InlineData("/queue/consume", "{\"topic\":\"t\",\"wait_sec\":21}", "wait_sec")]
    [InlineData("/queue/consume", "{\"topic\":\"t\",\"visibility_timeout_sec\":-5}", "visibility_timeout_sec")]
    [InlineData("/queue/consume", "{\"topic\":\"t\",\"max_messages\":0}", "max_messages")]
    [InlineData("/queue/extend", "{\"topic\":\"t\",\"id\":\"x\"}", "visibility_timeout_sec")]
    public async Task BadInput_Is400NamingTheField(string path, string body, string field)
    {
        var reply = await Node(2).PostRawAsync(path, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Code);
        Assert.Equal(field, reply.Field);
    }

    [Fact]
    public async Task OversizedPayload_Is400_AndQueuesNothing()
    {
        var topic = $"big-{Guid.NewGuid():n}";
        await Node(1).PublishAsync(topic, "0");

        var reply = await Node(1).PublishAsync(topic, $"\"{new string('x', 256 * 1024)}\"");

        Assert.Equal((HttpStatusCode.BadRequest, "payload"), (reply.Code, reply.Field));
        Assert.Equal(1, (await Node(2).GetAsync($"/queue/stats?topic={topic}")).Body.GetProperty("ready").GetInt64());
    }

    [Fact]
    public async Task UnknownIdOrTopic_Is404NamingTheField()
    {
        var topic = $"unknown-{Guid.NewGuid():n}";
        var id = (await Node(1).PublishAsync(topic, "0")).Id;
        await Node(1).AckAsync(topic, id);

        var goneId = await Node(2).AckAsync(topic, id);
        var noTopic = await Node(2).AckAsync($"never-{Guid.NewGuid():n}", id);
        var badId = await Node(2).AckAsync(topic, "not-an-id");

        Assert.Equal((HttpStatusCode.NotFound, "id"), (goneId.Code, goneId.Field));
        Assert.Equal((HttpStatusCode.NotFound, "topic"), (noTopic.Code, noTopic.Field));
        Assert.Equal((HttpStatusCode.BadRequest, "id"), (badId.Code, badId.Field));
    }

    [Fact]
    public async Task Stats_AndClusterView_NameEachPartitionsOwnerInTheCurrentEpoch()
    {
        var topic = $"view-{Guid.NewGuid():n}";
        await Node(1).PublishAsync(topic, "0", partitions: 4);

        var stats = (await Node(2).GetAsync($"/queue/stats?topic={topic}")).Body;
        var view = (await Node(3).GetAsync("/cluster/state")).Body.GetProperty("sections").GetProperty("queue");

        Assert.Equal(4, stats.GetProperty("partitions").GetInt32());
        var owners = stats.GetProperty("partition_stats").EnumerateArray().Select(p => p.GetProperty("owner").GetString()).ToList();
        Assert.All(owners, o => Assert.Contains(o, cluster.NodeNames));
        Assert.Equal(stats.GetProperty("ring_epoch").GetInt64(), view.GetProperty("ring_epoch").GetInt64());
        var shown = view.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("topic").GetString() == topic);
        Assert.Equal(owners, shown.GetProperty("partition_stats").EnumerateArray().Select(p => p.GetProperty("owner").GetString()));
    }
}
