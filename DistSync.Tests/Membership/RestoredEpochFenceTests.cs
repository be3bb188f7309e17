using System.Text.Json;
using DistSync.Node.Cache;
using DistSync.Node.Membership;
using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Membership;

/// <summary>
/// A restored cluster's ring epoch against fences the old cluster left in a real Redis: a queue partition's epoch key
/// and a cache key's claim, written by old owners after the backup was taken (the backup's epoch plus one per ring
/// change since). The restored epoch passes both; an epoch at the old fence's level does not, so the fences are real.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RestoredEpochFenceTests
{
    private const long SavedEpoch = 17;
    private const long RingChangesAfterBackup = 4_000;

    [Fact]
    public async Task RestoredEpoch_AboveEveryFenceTheOldClusterWrote_QueueAndCacheAcceptIt()
    {
        await using var redis = await RedisServer.StartAsync("redis-server");
        var queue = new RedisQueueStore(redis.Connection);
        var cache = new RedisCacheMemory(redis.Connection);
        var oldEpoch = SavedEpoch + RingChangesAfterBackup;
        Assert.False((await PublishAsync(queue, oldEpoch)).Stale);
        Assert.False((await cache.ReadAsync("k", oldEpoch, "old2", newFence: false, NowMs())).Stale);

        var restored = RestoredEpoch(bump: 1_000_000_000);

        Assert.True((await PublishAsync(queue, oldEpoch - 1)).Stale, "the fence refuses an epoch below the old owner's");
        Assert.True((await cache.ReadAsync("k", oldEpoch - 1, "node1", newFence: false, NowMs())).Stale);
        Assert.False((await PublishAsync(queue, restored)).Stale, $"restored epoch {restored} refused by fence {oldEpoch}");
        Assert.False((await cache.ReadAsync("k", restored, "node1", newFence: false, NowMs())).Stale);
    }

    [Fact]
    public async Task RestoredEpoch_BumpBelowTheChangesSinceTheBackup_IsFenced()
    {
        await using var redis = await RedisServer.StartAsync("redis-server");
        var queue = new RedisQueueStore(redis.Connection);
        await PublishAsync(queue, SavedEpoch + RingChangesAfterBackup);

        var restored = RestoredEpoch(bump: RingChangesAfterBackup - 1);

        // Why the bump must exceed what the old cluster committed after the backup (docs/operations.md).
        Assert.True((await PublishAsync(queue, restored)).Stale);
    }

    private static long RestoredEpoch(long bump)
    {
        var saved = JsonSerializer.SerializeToUtf8Bytes(new { Epoch = SavedEpoch, Members = new[] { "old1", "old2" }, Voters = new[] { "old1", "old2" } });
        var rewritten = MembershipRestore.ForNewCluster(saved, ["node1", "node2", "node3"], bump);
        return JsonDocument.Parse(rewritten).RootElement.GetProperty("Epoch").GetInt64();
    }

    private static Task<PublishResult> PublishAsync(RedisQueueStore queue, long epoch) =>
        queue.PublishAsync("orders", 0, epoch, [new OutgoingMessage(QueueRing.NewId(0), new MessageRecord(NowMs(), null, null, null, "{}"), 0)], 300_000);

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
