using DistSync.Node.Hosting;
using StackExchange.Redis;

namespace DistSync.Node.Cache;

/// <summary>
/// The cache's Redis adapter: each operation one script (see <see cref="CacheScripts"/>), answered once the replicas
/// <see cref="ReplicaWaits"/> asks for have what it wrote. Reads wait too: a read claims the key for its home and may
/// raise the fence a lease is granted under, and a failover must not undo either.
/// </summary>
public sealed class RedisCacheMemory(IConnectionMultiplexer redis, ReplicaWaits? replicaWaits = null) : ICacheMemory
{
    private readonly ReplicaWaits _replicaWaits = replicaWaits ?? ReplicaWaits.None;

    private IDatabase Db => redis.GetDatabase();

    public async Task<MemoryRead> ReadAsync(string key, long epoch, string home, bool newFence, long nowUnixMs, bool takeoverDone = false)
    {
        var reply = await RunAsync(CacheScripts.Read, key, [epoch, home, nowUnixMs, newFence ? 1 : 0, takeoverDone ? 1 : 0]);
        if ((string)reply[0]! == "STALE")
        {
            return new MemoryRead(true, (long)reply[1], false, null, 0, 0, 0);
        }

        return new MemoryRead(false, epoch, (long)reply[1] == 1, reply[2].IsNull ? null : (string)reply[2]!, (long)reply[3], (long)reply[4], (long)reply[5]);
    }

    public async Task<MemoryWrite> WriteAsync(string key, long epoch, string home, bool hasValue, string? value, long expiresAtUnixMs, long minVersion, long nowUnixMs)
    {
        var reply = await RunAsync(CacheScripts.Write, key, [epoch, home, nowUnixMs, hasValue ? 1 : 0, value ?? "", expiresAtUnixMs, minVersion]);
        return (string)reply[0]! switch
        {
            "STALE" => new MemoryWrite(true, (long)reply[1], false, 0, 0),
            "TAKEOVER" => new MemoryWrite(false, epoch, true, 0, 0),
            _ => new MemoryWrite(false, epoch, false, (long)reply[2], (long)reply[3]),
        };
    }

    public async Task<HolderWriteResult> HolderWriteAsync(string key, long fence, long version, bool hasValue, string? value, long expiresAtUnixMs, long nowUnixMs)
    {
        var reply = await RunAsync(CacheScripts.HolderWrite, key, [fence, version, nowUnixMs, hasValue ? 1 : 0, value ?? "", expiresAtUnixMs]);
        return new HolderWriteResult((string)reply[0]! == "OK", (long)reply[1], (long)reply[2]);
    }

    /// <summary>Runs one script; a refused one (stale epoch, holder fenced out) wrote nothing and waits for no replica. A
    /// takeover answer has written the new home's claim, so it waits.</summary>
    private async Task<RedisResult[]> RunAsync(string script, string key, RedisValue[] args)
    {
        var result = await _replicaWaits.EvaluateAsync(Db, script, [CacheScripts.KeyOf(key)], args,
            wroteNothing: r => (string?)((RedisResult[])r!)[0] is "STALE" or "REFUSED");
        return (RedisResult[])result!;
    }
}
