using System.Text;
using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Queue;

/// <summary>
/// The queue's Lua scripts against the real servers the AppHost can run (redis-server and Garnet): delivery,
/// visibility, dead letters, dedup, and the fence that keeps a deposed owner from writing. Time is Redis's own clock,
/// so a step that needs a deadline to pass waits until Redis's clock says it has (<see cref="PassAsync"/>), with
/// deadlines of a second or less.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueScriptsTests(TestRedisServers servers) : IClassFixture<TestRedisServers>
{
    private const long T0 = 1_800_000_000_000;
    private const long Window = 300_000;

    /// <summary>A deadline a "not yet" check meets before; <see cref="BeforeDeadlinesAsync"/> makes sure it did.</summary>
    private const long Visibility = 1_000;

    public static TheoryData<string> Servers => TestRedisServers.All;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Scripts_OnEachServer_KeepEveryRule(string server)
    {
        await using var redis = await servers.StartAsync(server);
        var store = new RedisQueueStore(redis.Connection);
        var clock = new RedisClock(redis);

        await PublishConsumeAck_RemovesTheMessage(store);
        await Publish_SameIdAgain_StoresItOnce(store);
        await BeforeDeadlinesAsync("t3", topic => DedupId_WithinTheWindow_QueuesNothing_AfterIt_QueuesAgain(store, clock, topic));
        await BeforeDeadlinesAsync("t4", topic => Visibility_Expired_ComesBackFirst_ThenDeadAfterMaxDeliveries(store, clock, topic));
        await BeforeDeadlinesAsync("t5", topic => Nack_ReturnsItNow_Extend_KeepsItHidden(store, clock, topic));
        await Receipt_OfAnEarlierDelivery_CannotAck(store, clock);
        await StaleEpoch_EveryWriteIsRefused_AndNothingChanges(store);
        await BeforeDeadlinesAsync("t8", topic => Delayed_BecomesReadyWhenDue(store, clock, topic));
        await EveryAnswer_CarriesAVersion_InTheOrderRedisRanThem(store);
        await Batch_OneCall_KeepsTheOrder_AndADuplicateWithinIt(store);
        await VisibilityDeadline_IsCountedFromRedisTime_WhateverTheCallersClockSays(store, redis, clock);
        await Receipts_GrowAcrossRedrive_AnEarlierDeliverysReceiptNeverMatchesALaterOne(store, clock);
        await Consume_SameRequestIdAgain_SameLease_CountedOnce(store);
        await Release_UndoesExactlyThatLease_FencedByItsReceipt(store);
        await PublishAndAck_SameRequestKeyAgain_FirstAnswer_AppliedOnce(store);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Notify_OnEachServer_WakesASubscriberOfAnotherConnection(string server)
    {
        await using var redis = await servers.StartAsync(server);
        // Another node's connection: on a cluster its subscription may sit on another member than the one the publish reaches.
        await using var other = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Connection.Configuration);
        var woken = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await new RedisQueueStore(other).SubscribeAsync(topic => woken.TrySetResult(topic));

        await new RedisQueueStore(redis.Connection).NotifyAsync("orders");

        Assert.Equal("orders", await woken.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// Runs a scenario whose "not yet" checks must come before a deadline of <see cref="Visibility"/> on Redis's clock. Each
    /// checks that they did (<see cref="RedisClock.StillBeforeAsync"/>); an attempt in which a stalled machine let the
    /// deadline pass proves nothing either way, and runs again on a fresh topic.
    /// </summary>
    private static async Task BeforeDeadlinesAsync(string topic, Func<string, Task> scenario)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await scenario($"{topic}-{attempt}");
                return;
            }
            catch (DeadlinePassedException ex) when (attempt < attempts)
            {
                TestContext.Current.SendDiagnosticMessage($"{topic}, attempt {attempt}: {ex.Message}; again on a fresh topic");
            }
        }
    }

    /// <summary>One message through the (batch) publish script, its outcome flattened.</summary>
    private static async Task<OnePublished> PublishOneAsync(RedisQueueStore store, string topic, int partition, long epoch, string id, MessageRecord record, long delayMs, long window)
    {
        var result = await store.PublishAsync(topic, partition, epoch, [new OutgoingMessage(id, record, delayMs)], window);
        var item = result.Items.SingleOrDefault();
        return new OnePublished(result.Stale, result.StoredEpoch, item?.Status, item?.Id, result.Ready, result.DueInMs, item?.Offset ?? 0, result.Version);
    }

    private sealed record OnePublished(bool Stale, long StoredEpoch, PublishStatus? Status, string? Id, long Ready, long DueInMs, long Offset, long Version);

    /// <summary>Redis's clock, read and waited for: the only clock the scripts use.</summary>
    private sealed class RedisClock(ITestRedis redis)
    {
        private readonly StackExchange.Redis.IServer _server = redis.Connection.GetServer(redis.Connection.GetEndPoints()[0]);

        public async Task<long> NowAsync() => new DateTimeOffset(await _server.TimeAsync()).ToUnixTimeMilliseconds();

        /// <summary>
        /// Throws <see cref="DeadlinePassedException"/> unless Redis's clock is still before <paramref name="ms"/> after
        /// <paramref name="from"/>: a "not yet" check made since <paramref name="from"/> was then made before that deadline.
        /// </summary>
        public async Task StillBeforeAsync(long from, long ms)
        {
            if (await NowAsync() is var now && now >= from + ms)
            {
                throw new DeadlinePassedException($"Redis's clock reached {now - from} ms after a deadline {ms} ms away was set");
            }
        }

        /// <summary>Returns once Redis's clock has passed <paramref name="ms"/> after <paramref name="from"/>; a poll, not a sleep of a guessed length.</summary>
        public async Task PassAsync(long from, long ms)
        {
            while (await NowAsync() <= from + ms)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }
    }

    private static MessageRecord Record(string payload = "{\"n\":1}", string? dedup = null) => new(T0, "k", dedup, null, payload);

    private static async Task PublishConsumeAck_RemovesTheMessage(RedisQueueStore store)
    {
        var id = QueueRing.NewId(0);
        var published = await PublishOneAsync(store, "t1", 0, 1, id, Record("[1, 2 ,3]"), 0, Window);
        var consumed = await store.ConsumeAsync("t1", 0, 1, 30_000, 10);
        var acked = await store.AckAsync("t1", 0, 1, id, null);
        var again = await store.ConsumeAsync("t1", 0, 1, 30_000, 10);
        var stats = await store.StatsAsync("t1", 0);

        Assert.Equal((PublishStatus.Queued, 1L, 1L), (published.Status, published.Ready, published.Offset));
        var message = Assert.Single(consumed.Messages);
        Assert.Equal((id, "[1, 2 ,3]", 1L), (message.Id, message.Record.Payload, message.Deliveries));
        Assert.Equal(30_000, consumed.DueInMs); // counted on Redis's clock from the consume itself
        Assert.Equal(ChangeStatus.Acked, acked.Status);
        Assert.Empty(again.Messages);
        Assert.Equal(new PartitionStats(0, 0, 0, 0, 1, null), stats);
        Assert.Equal(ChangeStatus.NotFound, (await store.AckAsync("t1", 0, 1, id, null)).Status);
    }

    private static async Task EveryAnswer_CarriesAVersion_InTheOrderRedisRanThem(RedisQueueStore store)
    {
        var id = QueueRing.NewId(0);
        // Sent together, pipelined on one connection: Redis runs them in this order, whatever order the answers are read in.
        var publish = PublishOneAsync(store, "t9", 0, 1, id, Record(), 0, Window);
        var consume = store.ConsumeAsync("t9", 0, 1, 30_000, 10);
        var duplicate = PublishOneAsync(store, "t9", 0, 1, id, Record(), 0, Window);
        var ack = store.AckAsync("t9", 0, 1, id, null);
        var requeue = store.RequeueDueAsync("t9", 0, 1, 5, 100, Window);
        long[] versions = [(await publish).Version, (await consume).Version, (await duplicate).Version, (await ack).Version, (await requeue).Version];

        Assert.Equal([1L, 2, 3, 4, 5], versions);
        Assert.True((await PublishOneAsync(store, "t9", 0, 0, QueueRing.NewId(0), Record(), 0, Window)).Stale); // refused by the fence ...
        Assert.Equal(6, (await store.ConsumeAsync("t9", 0, 1, 30_000, 10)).Version); // ... and it did not count
    }

    private static async Task Batch_OneCall_KeepsTheOrder_AndADuplicateWithinIt(RedisQueueStore store)
    {
        string[] ids = [QueueRing.NewId(0), QueueRing.NewId(0), QueueRing.NewId(0), QueueRing.NewId(0)];
        var result = await store.PublishAsync("t10", 0, 1,
        [
            new OutgoingMessage(ids[0], Record("1", dedup: "a"), 0),
            new OutgoingMessage(ids[1], Record("2"), 0),
            new OutgoingMessage(ids[2], Record("3", dedup: "a"), 0), // the same dedup id as the first, in the same call
            new OutgoingMessage(ids[3], Record("4"), 5_000),
        ], Window);
        var consumed = await store.ConsumeAsync("t10", 0, 1, 30_000, 10);

        Assert.Equal((0L, 2L, 5_000L), (result.ReadyBefore, result.Ready, result.DueInMs));
        Assert.Equal(
            [new PublishedItem(PublishStatus.Queued, ids[0], 1), new PublishedItem(PublishStatus.Queued, ids[1], 2),
             new PublishedItem(PublishStatus.Duplicate, ids[0], 0), new PublishedItem(PublishStatus.Queued, ids[3], 3)],
            result.Items);
        Assert.Equal(["1", "2"], consumed.Messages.Select(m => m.Record.Payload));
    }

    private static async Task Publish_SameIdAgain_StoresItOnce(RedisQueueStore store)
    {
        var id = QueueRing.NewId(0);
        await PublishOneAsync(store, "t2", 0, 1, id, Record(), 0, Window);

        var retry = await PublishOneAsync(store, "t2", 0, 1, id, Record(), 0, Window);
        var next = await PublishOneAsync(store, "t2", 0, 1, QueueRing.NewId(0), Record(), 0, Window);

        Assert.Equal((PublishStatus.Duplicate, id, 1L), (retry.Status, retry.Id, retry.Ready));
        Assert.Equal(2, next.Offset); // the duplicate took no offset
    }

    private static async Task DedupId_WithinTheWindow_QueuesNothing_AfterIt_QueuesAgain(RedisQueueStore store, RedisClock clock, string topic)
    {
        var first = QueueRing.NewId(0);
        var before = await clock.NowAsync();
        await PublishOneAsync(store, topic, 0, 1, first, Record(dedup: "order-17"), 0, Visibility);
        var seen = await clock.NowAsync();

        var duplicate = await PublishOneAsync(store, topic, 0, 1, QueueRing.NewId(0), Record(dedup: "order-17"), 0, Visibility);
        await clock.StillBeforeAsync(before, Visibility); // the duplicate came within the window
        await clock.PassAsync(seen, Visibility); // the window, on Redis's clock
        var later = await PublishOneAsync(store, topic, 0, 1, QueueRing.NewId(0), Record(dedup: "order-17"), 0, Visibility);

        Assert.Equal((PublishStatus.Duplicate, first, 1L), (duplicate.Status, duplicate.Id, duplicate.Ready));
        Assert.Equal((PublishStatus.Queued, 2L), (later.Status, later.Ready));
    }

    private static async Task Visibility_Expired_ComesBackFirst_ThenDeadAfterMaxDeliveries(RedisQueueStore store, RedisClock clock, string topic)
    {
        var id = QueueRing.NewId(0);
        var behind = QueueRing.NewId(0);
        await PublishOneAsync(store, topic, 0, 1, id, Record(), 0, Window);
        await PublishOneAsync(store, topic, 0, 1, behind, Record(), 0, Window);

        for (var delivery = 1; delivery <= 2; delivery++)
        {
            var before = await clock.NowAsync();
            var consumed = await store.ConsumeAsync(topic, 0, 1, Visibility, 1);
            var taken = await clock.NowAsync();
            Assert.Equal((id, (long)delivery), (consumed.Messages[0].Id, consumed.Messages[0].Deliveries));
            var early = await store.RequeueDueAsync(topic, 0, 1, 2, 100, Window);
            await clock.StillBeforeAsync(before, Visibility);
            Assert.Equal(0, early.Requeued); // not yet
            await clock.PassAsync(taken, Visibility);
            var due = await store.RequeueDueAsync(topic, 0, 1, 2, 100, Window);
            Assert.Equal(delivery < 2 ? (1L, 0L) : (0L, 1L), (due.Requeued, due.Dead));
        }

        var stats = await store.StatsAsync(topic, 0);
        var (deadCount, deadLetters) = await store.DeadLettersAsync(topic, 0, 10);
        Assert.Equal(1, deadCount);
        var dead = Assert.Single(deadLetters);
        Assert.Equal((1L, 0L, 1L), (stats.Ready, stats.InFlight, stats.Dead));
        Assert.Equal((id, 2L), (dead.Id, dead.Deliveries));

        var redriven = await store.RedriveAsync(topic, 0, 1, 100);
        var next = await store.ConsumeAsync(topic, 0, 1, 1_000, 2);
        Assert.Equal((1L, 0L), (redriven.Moved, redriven.StillDead));
        Assert.Equal([(behind, 1L), (id, 1L)], next.Messages.Select(m => (m.Id, m.Deliveries)));
    }

    private static async Task Nack_ReturnsItNow_Extend_KeepsItHidden(RedisQueueStore store, RedisClock clock, string topic)
    {
        const long extendedMs = 10_000;
        var id = QueueRing.NewId(0);
        await PublishOneAsync(store, topic, 0, 1, id, Record(), 0, Window);
        var before = await clock.NowAsync();
        await store.ConsumeAsync(topic, 0, 1, Visibility, 1);
        var taken = await clock.NowAsync();

        var extended = await store.ExtendAsync(topic, 0, 1, id, extendedMs, null);
        await clock.StillBeforeAsync(before, Visibility); // extended before the first deadline
        await clock.PassAsync(taken, Visibility); // past the first deadline, not the extended one
        var notDue = await store.RequeueDueAsync(topic, 0, 1, 5, 100, Window);
        await clock.StillBeforeAsync(before, extendedMs);
        var nacked = await store.NackAsync(topic, 0, 1, id, 0, 5, null);
        var notInFlight = await store.NackAsync(topic, 0, 1, id, 0, 5, null);
        var again = await store.ConsumeAsync(topic, 0, 1, 1_000, 1);

        Assert.Equal((ChangeStatus.Extended, extendedMs), (extended.Status, extended.VisibleForMs));
        Assert.Equal(0, notDue.Requeued);
        Assert.Equal((ChangeStatus.Nacked, 1L), (nacked.Status, nacked.Ready));
        Assert.Equal(ChangeStatus.NotInFlight, notInFlight.Status);
        Assert.Equal(2, Assert.Single(again.Messages).Deliveries);
    }

    private static async Task Receipt_OfAnEarlierDelivery_CannotAck(RedisQueueStore store, RedisClock clock)
    {
        var id = QueueRing.NewId(0);
        await PublishOneAsync(store, "t6", 0, 1, id, Record(), 0, Window);
        await store.ConsumeAsync("t6", 0, 1, 1, 1);
        await clock.PassAsync(await clock.NowAsync(), 1);
        await store.RequeueDueAsync("t6", 0, 1, 5, 100, Window);
        await store.ConsumeAsync("t6", 0, 1, Visibility, 1);

        Assert.Equal(ChangeStatus.StaleReceipt, (await store.AckAsync("t6", 0, 1, id, 1)).Status);
        Assert.Equal(ChangeStatus.Acked, (await store.AckAsync("t6", 0, 1, id, 2)).Status);
    }

    private static async Task Receipts_GrowAcrossRedrive_AnEarlierDeliverysReceiptNeverMatchesALaterOne(RedisQueueStore store, RedisClock clock)
    {
        var id = QueueRing.NewId(0);
        await PublishOneAsync(store, "t12", 0, 1, id, Record(), 0, Window);
        await store.ConsumeAsync("t12", 0, 1, 1, 1); // delivery 1: its consumer holds receipt id:1 ...
        await clock.PassAsync(await clock.NowAsync(), 1);
        var dead = await store.RequeueDueAsync("t12", 0, 1, 1, 100, Window); // ... and it used its one delivery
        await store.RedriveAsync("t12", 0, 1, 100);
        var again = Assert.Single((await store.ConsumeAsync("t12", 0, 1, Visibility, 1)).Messages);

        Assert.Equal(1, dead.Dead);
        Assert.Equal(1, again.Deliveries); // max_deliveries counts afresh after a redrive
        Assert.Equal(ChangeStatus.StaleReceipt, (await store.AckAsync("t12", 0, 1, id, 1)).Status); // the old consumer's late ack
        Assert.Equal(2, again.Receipt);
        Assert.Equal(ChangeStatus.Acked, (await store.AckAsync("t12", 0, 1, id, again.Receipt)).Status);
    }

    /// <summary>A consume whose answer was lost (the forward timed out) is retried: the retry must get the lease the first made.</summary>
    private static async Task Consume_SameRequestIdAgain_SameLease_CountedOnce(RedisQueueStore store)
    {
        string[] ids = [QueueRing.NewId(0), QueueRing.NewId(0), QueueRing.NewId(0)];
        foreach (var id in ids)
        {
            await PublishOneAsync(store, "t13", 0, 1, id, Record(), 0, Window);
        }

        var first = await store.ConsumeAsync("t13", 0, 1, 30_000, 2, "c:r1", Window); // its answer never reached the caller
        var retry = await store.ConsumeAsync("t13", 0, 1, 30_000, 2, "c:r1", Window);
        var recalled = await store.ConsumeAsync("t13", 0, 1, 30_000, 0, "c:r1", Window, recallOnly: true);
        var other = await store.ConsumeAsync("t13", 0, 1, 30_000, 0, "c:r2", Window, recallOnly: true); // a request never seen: nothing, and nothing taken

        Assert.Equal(first.Messages.Select(m => (m.Id, m.Deliveries, m.Receipt)), retry.Messages.Select(m => (m.Id, m.Deliveries, m.Receipt)));
        Assert.Equal([(ids[0], 1L, 1L), (ids[1], 1L, 1L)], retry.Messages.Select(m => (m.Id, m.Deliveries, m.Receipt)));
        Assert.Equal(retry.Messages, recalled.Messages);
        Assert.Empty(other.Messages);
        Assert.Equal(1, (await store.StatsAsync("t13", 0)).Ready); // the third was not taken

        await store.AckAsync("t13", 0, 1, ids[0], 1); // once acked, it is no longer part of the lease
        Assert.Equal([ids[1]], (await store.ConsumeAsync("t13", 0, 1, 30_000, 2, "c:r1", Window)).Messages.Select(m => m.Id));
    }

    /// <summary>A lease whose consumer was gone before the answer: back at the front now, the delivery not counted.</summary>
    private static async Task Release_UndoesExactlyThatLease_FencedByItsReceipt(RedisQueueStore store)
    {
        var id = QueueRing.NewId(0);
        var behind = QueueRing.NewId(0);
        await PublishOneAsync(store, "t14", 0, 1, id, Record(), 0, Window);
        await PublishOneAsync(store, "t14", 0, 1, behind, Record(), 0, Window);
        var leased = Assert.Single((await store.ConsumeAsync("t14", 0, 1, 30_000, 1)).Messages);

        var released = await store.ReleaseAsync("t14", 0, 1, id, leased.Receipt);
        var again = Assert.Single((await store.ConsumeAsync("t14", 0, 1, 30_000, 1)).Messages);

        Assert.Equal((ChangeStatus.Released, 2L), (released.Status, released.Ready));
        Assert.Equal((id, 1L, 2L), (again.Id, again.Deliveries, again.Receipt)); // first again; counted once; a new receipt
        Assert.Equal(ChangeStatus.StaleReceipt, (await store.ReleaseAsync("t14", 0, 1, id, leased.Receipt)).Status); // the later lease stays
        Assert.Equal(1, (await store.StatsAsync("t14", 0)).InFlight);
    }

    private static async Task PublishAndAck_SameRequestKeyAgain_FirstAnswer_AppliedOnce(RedisQueueStore store)
    {
        var id = QueueRing.NewId(0);
        var first = await store.PublishAsync("t15", 0, 1, [new OutgoingMessage(id, Record(), 0, "p:r:0")], Window);
        var again = await store.PublishAsync("t15", 0, 1, [new OutgoingMessage(QueueRing.NewId(0), Record(), 0, "p:r:0")], Window); // the retry makes a new id

        Assert.Equal([new PublishedItem(PublishStatus.Queued, id, 1)], first.Items);
        Assert.Equal(first.Items, again.Items);
        Assert.Equal(1, again.Ready);

        var acked = await store.AckAsync("t15", 0, 1, id, null, "a:r", Window);
        var ackedAgain = await store.AckAsync("t15", 0, 1, id, null, "a:r", Window);
        Assert.Equal((ChangeStatus.Acked, ChangeStatus.Acked), (acked.Status, ackedAgain.Status));
        Assert.Equal(ChangeStatus.NotFound, (await store.AckAsync("t15", 0, 1, id, null)).Status); // without it: gone, as before
    }

    private static async Task StaleEpoch_EveryWriteIsRefused_AndNothingChanges(RedisQueueStore store)
    {
        var id = QueueRing.NewId(0);
        await PublishOneAsync(store, "t7", 0, 5, id, Record(), 0, Window); // the new owner wrote in epoch 5
        var before = await store.StatsAsync("t7", 0);

        Assert.Equal((true, 5L), await Pub());
        Assert.True((await store.ConsumeAsync("t7", 0, 4, 1_000, 10)).Stale);
        Assert.Equal(ChangeStatus.Stale, (await store.AckAsync("t7", 0, 4, id, null)).Status);
        Assert.Equal(ChangeStatus.Stale, (await store.NackAsync("t7", 0, 4, id, 0, 5, null)).Status);
        Assert.Equal(ChangeStatus.Stale, (await store.ExtendAsync("t7", 0, 4, id, 1, null)).Status);
        Assert.True((await store.RequeueDueAsync("t7", 0, 4, 5, 100, Window)).Stale);
        Assert.True((await store.RedriveAsync("t7", 0, 4, 100)).Stale);
        Assert.Equal(before, await store.StatsAsync("t7", 0));
        Assert.Equal(PublishStatus.Queued, (await PublishOneAsync(store, "t7", 0, 6, QueueRing.NewId(0), Record(), 0, Window)).Status); // a newer epoch may

        async Task<(bool, long)> Pub()
        {
            var r = await PublishOneAsync(store, "t7", 0, 4, QueueRing.NewId(0), Record(), 0, Window);
            return (r.Stale, r.StoredEpoch);
        }
    }

    /// <summary>The caller has no clock to pass any more (it once passed its own wall clock as <c>now</c>): the deadline Redis stores is Redis's time plus the visibility.</summary>
    private static async Task VisibilityDeadline_IsCountedFromRedisTime_WhateverTheCallersClockSays(RedisQueueStore store, ITestRedis redis, RedisClock clock)
    {
        var before = await clock.NowAsync();
        await PublishOneAsync(store, "t11", 0, 1, QueueRing.NewId(0), Record(), 0, Window);

        await store.ConsumeAsync("t11", 0, 1, 30_000, 1);
        var after = await clock.NowAsync();
        var deadline = (long)(await redis.Connection.GetDatabase().SortedSetRangeByRankWithScoresAsync(PartitionKeys.For("t11", 0).All[2]))[0].Score;

        Assert.InRange(deadline, before + 30_000, after + 30_000);
    }

    private static async Task Delayed_BecomesReadyWhenDue(RedisQueueStore store, RedisClock clock, string topic)
    {
        var id = QueueRing.NewId(0);
        var before = await clock.NowAsync();
        var published = await PublishOneAsync(store, topic, 0, 1, id, Record(Encoding.UTF8.GetString("\"é\""u8)), Visibility, Window);
        var sent = await clock.NowAsync();
        var early = await store.ConsumeAsync(topic, 0, 1, 1_000, 1);
        var promotedEarly = await store.RequeueDueAsync(topic, 0, 1, 5, 100, Window);
        await clock.StillBeforeAsync(before, Visibility);

        Assert.Equal((0L, Visibility), (published.Ready, published.DueInMs));
        Assert.Empty(early.Messages);
        Assert.Equal(0, promotedEarly.Promoted); // not yet
        await clock.PassAsync(sent, Visibility);
        Assert.Equal(1, (await store.RequeueDueAsync(topic, 0, 1, 5, 100, Window)).Promoted);
        Assert.Equal("\"é\"", Assert.Single((await store.ConsumeAsync(topic, 0, 1, 1_000, 1)).Messages).Record.Payload);
    }

    /// <summary>A step meant to come before a deadline came after it: the attempt proves nothing.</summary>
    private sealed class DeadlinePassedException(string message) : Exception(message);
}
