using DistSync.Node.Cache;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Cache;

/// <summary>
/// The cache's Lua scripts against the real servers the AppHost can run (redis-server, a Redis Cluster and Garnet): claims and the
/// epoch fence, versions, the owner's fence, deletes and TTLs. Time is an argument (Redis's own clock only sets the
/// least a record lives), so nothing here waits.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CacheScriptsTests(TestRedisServers servers) : IClassFixture<TestRedisServers>
{
    /// <summary>
    /// The nodes' "now" in these scripts: a year ahead of Redis's clock, whatever the date, so a record's expiry is decided by
    /// the times the test passes and never by Redis's own clock catching up with a fixed instant.
    /// </summary>
    private static readonly long T0 = DateTimeOffset.UtcNow.AddYears(1).ToUnixTimeMilliseconds();

    public static TheoryData<string> Servers => TestRedisServers.All;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Scripts_OnEachServer_KeepEveryRule(string server)
    {
        await using var redis = await servers.StartAsync(server);
        var memory = new RedisCacheMemory(redis.Connection);

        await FirstRead_ClaimsTheKey_WithNoValue(memory);
        await Write_RaisesVersionAndFence_AndReadsBack(memory);
        await OlderEpoch_IsRefused_AndChangesNothing(memory);
        await ClaimFromAnotherHome_IsATakeover_UntilTheNewHomeSaysItWaited(memory);
        await HolderWrite_ToAKeyWithNoRecord_IsRefused(memory);
        await HolderWrite_OnlyUnderItsFence_AndPastTheVersion(memory);
        await Delete_LeavesNoValue_ButKeepsTheVersionRising(memory);
        await MinVersion_IsRespected(memory);
        await Ttl_ValueReadsAsNoneAfterIt_AndTheHashOutlivesIt(memory, redis);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TakeoverRecord_OnEachServer_NamesTheHomeThatFinishedIt(string server)
    {
        await using var redis = await servers.StartAsync(server);
        var memory = new RedisCacheMemory(redis.Connection);

        await ClaimAfterAnotherHomeFinished_InTheSameEpoch_StaysATakeoverUntilDone(memory);
        await TakeoverDone_AfterAnotherHomeClaimed_FinishesNothing(memory);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TakeoverDue_OnEachServer_NewFenceWaitsForTheTakeover(string server)
    {
        await using var redis = await servers.StartAsync(server);
        var memory = new RedisCacheMemory(redis.Connection);
        var owner = await memory.WriteAsync("w", 1, "n1", true, "1", 0, 0, T0);

        // The new home's read asks for a new fence while the takeover is still due: it gets a takeover, and the old
        // owner's fence stands, so that owner's write-back during the wait still lands.
        var early = await memory.ReadAsync("w", 2, "n2", newFence: true, T0);
        Assert.Equal((true, owner.Fence), (early.Takeover, early.Fence));
        Assert.True((await memory.HolderWriteAsync("w", owner.Fence, owner.Version + 1, true, "2", 0, T0)).Applied);

        var done = await memory.ReadAsync("w", 2, "n2", newFence: false, T0, takeoverDone: true);
        Assert.Equal((false, owner.Fence + 1, "2"), (done.Takeover, done.Fence, done.Value));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Record_NodeClockAnHourBehindRedis_OutlivesTheScriptByTheGraceOnRedissClock(string server)
    {
        await using var redis = await servers.StartAsync(server);
        var memory = new RedisCacheMemory(redis.Connection);
        var db = redis.Connection.GetDatabase();
        var redisNow = RedisNowUnixMs((StackExchange.Redis.RedisResult[])(await db.ExecuteAsync("TIME"))!);
        var behind = redisNow - 3_600_000;

        // A value with a 1 s TTL, written by a node whose wall clock is an hour behind Redis's: the value has expired
        // by that node's clock only in an hour, and the record (version, fence, home) must outlive it by the grace on
        // Redis's own clock, not vanish at once because the node's instant is in Redis's past.
        var written = await memory.WriteAsync("skew", 1, "n1", true, "1", behind + 1000, 0, behind);
        var expiresAt = (long)await db.ExecuteAsync("PEXPIRETIME", CacheScripts.KeyOf("skew"));
        Assert.InRange(expiresAt, redisNow + CacheScripts.GraceMs, redisNow + CacheScripts.GraceMs + 60_000);

        Assert.True((await memory.HolderWriteAsync("skew", written.Fence, written.Version + 1, true, "2", behind + 1000, behind)).Applied);
        var read = await memory.ReadAsync("skew", 1, "n1", newFence: false, behind);
        Assert.Equal(("2", 2L, false), (read.Value, read.Version, read.Takeover));
    }

    private static long RedisNowUnixMs(StackExchange.Redis.RedisResult[] time) =>
        (long.Parse((string)time[0]!, System.Globalization.CultureInfo.InvariantCulture) * 1000) + (long.Parse((string)time[1]!, System.Globalization.CultureInfo.InvariantCulture) / 1000);

    private static async Task ClaimAfterAnotherHomeFinished_InTheSameEpoch_StaysATakeoverUntilDone(RedisCacheMemory memory)
    {
        // n1 claims and finishes epoch 4; n2 claims the same epoch (two homes in one epoch: the record must tell them
        // apart). n2's claim is cut short: its next script must still see a takeover, not n1's finished record.
        Assert.False((await memory.WriteAsync("t1", 4, "n1", true, "1", 0, 0, T0)).Takeover);
        Assert.True((await memory.ReadAsync("t1", 4, "n2", newFence: false, T0)).Takeover);
        Assert.True((await memory.ReadAsync("t1", 4, "n2", newFence: false, T0)).Takeover);
        Assert.Equal(new MemoryWrite(false, 4, true, 0, 0), await memory.WriteAsync("t1", 4, "n2", true, "early", 0, 0, T0));

        // Once n2 has waited and says so, the key is n2's; n1 must now wait in its turn.
        Assert.False((await memory.ReadAsync("t1", 4, "n2", newFence: false, T0, takeoverDone: true)).Takeover);
        Assert.False((await memory.ReadAsync("t1", 4, "n2", newFence: false, T0)).Takeover);
        Assert.True((await memory.ReadAsync("t1", 4, "n1", newFence: false, T0)).Takeover);
    }

    private static async Task TakeoverDone_AfterAnotherHomeClaimed_FinishesNothing(RedisCacheMemory memory)
    {
        await memory.WriteAsync("t2", 1, "n1", true, "1", 0, 0, T0);
        var n2 = await memory.ReadAsync("t2", 2, "n2", newFence: false, T0);
        Assert.True(n2.Takeover);

        // n3 claims during n2's wait: n2's wait did not cover what n3 may grant, so n2's "done" finishes nothing, and
        // the old owner's fence stands.
        Assert.True((await memory.ReadAsync("t2", 2, "n3", newFence: false, T0)).Takeover);
        var done = await memory.ReadAsync("t2", 2, "n2", newFence: false, T0, takeoverDone: true);
        Assert.Equal((true, n2.Fence), (done.Takeover, done.Fence));
        Assert.True((await memory.ReadAsync("t2", 2, "n2", newFence: false, T0)).Takeover);

        // That script was n2's new claim: waited out in its turn, it finishes.
        var finished = await memory.ReadAsync("t2", 2, "n2", newFence: false, T0, takeoverDone: true);
        Assert.Equal((false, n2.Fence + 1), (finished.Takeover, finished.Fence));
    }

    private static async Task FirstRead_ClaimsTheKey_WithNoValue(RedisCacheMemory memory)
    {
        var read = await memory.ReadAsync("a", 3, "n1", newFence: false, T0);
        Assert.Equal(new MemoryRead(false, 3, false, null, 0, 0, 0), read);

        // The same home again, and in a later epoch: nobody else can have granted anything meanwhile.
        Assert.False((await memory.ReadAsync("a", 3, "n1", newFence: false, T0)).Takeover);
        Assert.False((await memory.ReadAsync("a", 4, "n1", newFence: false, T0)).Takeover);
    }

    private static async Task Write_RaisesVersionAndFence_AndReadsBack(RedisCacheMemory memory)
    {
        var first = await memory.WriteAsync("b", 1, "n1", true, "{\"x\":1}", 0, 0, T0);
        var second = await memory.WriteAsync("b", 1, "n1", true, "[2]", 0, 0, T0);
        Assert.Equal((1L, 1L, 2L, 2L), (first.Version, first.Fence, second.Version, second.Fence));

        var read = await memory.ReadAsync("b", 1, "n1", newFence: true, T0);
        Assert.Equal(("[2]", 2L, 3L), (read.Value, read.Version, read.Fence));
    }

    private static async Task OlderEpoch_IsRefused_AndChangesNothing(RedisCacheMemory memory)
    {
        await memory.WriteAsync("c", 5, "n2", true, "\"new\"", 0, 0, T0);

        Assert.Equal(new MemoryWrite(true, 5, false, 0, 0), await memory.WriteAsync("c", 4, "n1", true, "\"old\"", 0, 0, T0));
        Assert.True((await memory.ReadAsync("c", 4, "n1", newFence: true, T0)).Stale);
        var read = await memory.ReadAsync("c", 5, "n2", newFence: false, T0);
        Assert.Equal(("\"new\"", 1L, 1L), (read.Value, read.Version, read.Fence));
    }

    private static async Task ClaimFromAnotherHome_IsATakeover_UntilTheNewHomeSaysItWaited(RedisCacheMemory memory)
    {
        await memory.WriteAsync("d", 1, "n1", true, "1", 0, 0, T0);

        var claim = await memory.ReadAsync("d", 2, "n3", newFence: false, T0);
        Assert.Equal((2L, true, 1L), (claim.StoredEpoch, claim.Takeover, claim.Fence));
        // Interrupted before it finished: still a takeover, and a write is refused until it is done.
        Assert.True((await memory.ReadAsync("d", 2, "n3", newFence: false, T0)).Takeover);
        Assert.Equal(new MemoryWrite(false, 2, true, 0, 0), await memory.WriteAsync("d", 2, "n3", true, "early", 0, 0, T0));

        // The old owner may still write back while the new home waits out its lease ...
        Assert.True((await memory.HolderWriteAsync("d", 1, 2, true, "2", 0, T0)).Applied);
        var done = await memory.ReadAsync("d", 2, "n3", newFence: false, T0, takeoverDone: true);
        Assert.Equal((false, "2", 2L), (done.Takeover, done.Value, done.Fence));
        // ... and not after the new home raised the fence.
        Assert.False((await memory.HolderWriteAsync("d", 1, 3, true, "3", 0, T0)).Applied);
        Assert.False((await memory.ReadAsync("d", 2, "n3", newFence: false, T0)).Takeover);
    }

    private static async Task HolderWrite_ToAKeyWithNoRecord_IsRefused(RedisCacheMemory memory)
    {
        Assert.False((await memory.HolderWriteAsync("never", 0, 1, true, "1", 0, T0)).Applied);
        Assert.Null((await memory.ReadAsync("never", 1, "n1", newFence: false, T0)).Value);
    }

    private static async Task HolderWrite_OnlyUnderItsFence_AndPastTheVersion(RedisCacheMemory memory)
    {
        var granted = await memory.WriteAsync("e", 1, "n1", true, "1", 0, 0, T0);

        Assert.Equal(new HolderWriteResult(true, granted.Fence, 2), await memory.HolderWriteAsync("e", granted.Fence, 2, true, "2", 0, T0));
        Assert.Equal(new HolderWriteResult(false, granted.Fence, 2), await memory.HolderWriteAsync("e", granted.Fence, 2, true, "again", 0, T0));
        Assert.Equal(new HolderWriteResult(false, granted.Fence, 2), await memory.HolderWriteAsync("e", granted.Fence + 1, 3, true, "wrong fence", 0, T0));
        Assert.Equal("2", (await memory.ReadAsync("e", 1, "n1", newFence: false, T0)).Value);
    }

    private static async Task Delete_LeavesNoValue_ButKeepsTheVersionRising(RedisCacheMemory memory)
    {
        await memory.WriteAsync("f", 1, "n1", true, "1", 0, 0, T0);
        var deleted = await memory.WriteAsync("f", 1, "n1", false, null, 0, 0, T0);

        var read = await memory.ReadAsync("f", 1, "n1", newFence: false, T0);
        Assert.Equal((null, 2L), (read.Value, read.Version));
        Assert.Equal(2, deleted.Version);
    }

    private static async Task MinVersion_IsRespected(RedisCacheMemory memory)
    {
        // A write-back owner had reached version 9 when the home took the line; the next version must be past it.
        var write = await memory.WriteAsync("g", 1, "n1", true, "1", 0, 9, T0);
        Assert.Equal(10, write.Version);
    }

    private static async Task Ttl_ValueReadsAsNoneAfterIt_AndTheHashOutlivesIt(RedisCacheMemory memory, ITestRedis redis)
    {
        await memory.WriteAsync("h", 1, "n1", true, "1", T0 + 1000, 0, T0);

        Assert.Equal("1", (await memory.ReadAsync("h", 1, "n1", newFence: false, T0 + 999)).Value);
        var expired = await memory.ReadAsync("h", 1, "n1", newFence: false, T0 + 1000);
        Assert.Equal((null, 1L, T0 + 1000), (expired.Value, expired.Version, expired.ExpiresAtUnixMs));
        var expiresAt = (long)await redis.Connection.GetDatabase().ExecuteAsync("PEXPIRETIME", (StackExchange.Redis.RedisKey)CacheScripts.KeyOf("h"));
        Assert.Equal(T0 + 1000 + CacheScripts.GraceMs, expiresAt);

        // Without a TTL the value stays.
        await memory.WriteAsync("h", 1, "n1", true, "2", 0, 0, T0);
        Assert.Equal(-1, (long)await redis.Connection.GetDatabase().ExecuteAsync("PEXPIRETIME", (StackExchange.Redis.RedisKey)CacheScripts.KeyOf("h")));
    }
}
