using DistSync.Node.Hosting;
using StackExchange.Redis;

namespace DistSync.Node.Cache;

/// <summary>The cache's Redis adapter: each operation one script (see <see cref="CacheScripts"/>).</summary>
public sealed class RedisCacheMemory(IConnectionMultiplexer redis) : ICacheMemory
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<MemoryRead> ReadAsync(string key, long epoch, string home, bool newFence, long nowUnixMs, bool takeoverDone = false)
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(CacheScripts.Read, [CacheScripts.KeyOf(key)], [epoch, home, nowUnixMs, newFence ? 1 : 0, takeoverDone ? 1 : 0]).AsRedisFailure())!;
        if ((string)reply[0]! == "STALE")
        {
            return new MemoryRead(true, (long)reply[1], false, null, 0, 0, 0);
        }

        return new MemoryRead(false, epoch, (long)reply[1] == 1, reply[2].IsNull ? null : (string)reply[2]!, (long)reply[3], (long)reply[4], (long)reply[5]);
    }

    public async Task<MemoryWrite> WriteAsync(string key, long epoch, string home, bool hasValue, string? value, long expiresAtUnixMs, long minVersion, long nowUnixMs)
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(CacheScripts.Write, [CacheScripts.KeyOf(key)],
            [epoch, home, nowUnixMs, hasValue ? 1 : 0, value ?? "", expiresAtUnixMs, minVersion]).AsRedisFailure())!;
        return (string)reply[0]! switch
        {
            "STALE" => new MemoryWrite(true, (long)reply[1], false, 0, 0),
            "TAKEOVER" => new MemoryWrite(false, epoch, true, 0, 0),
            _ => new MemoryWrite(false, epoch, false, (long)reply[2], (long)reply[3]),
        };
    }

    public async Task<HolderWriteResult> HolderWriteAsync(string key, long fence, long version, bool hasValue, string? value, long expiresAtUnixMs, long nowUnixMs)
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(CacheScripts.HolderWrite, [CacheScripts.KeyOf(key)],
            [fence, version, nowUnixMs, hasValue ? 1 : 0, value ?? "", expiresAtUnixMs]).AsRedisFailure())!;
        return new HolderWriteResult((string)reply[0]! == "OK", (long)reply[1], (long)reply[2]);
    }
}
