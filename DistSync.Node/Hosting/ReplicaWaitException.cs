using StackExchange.Redis;

namespace DistSync.Node.Hosting;

/// <summary>
/// A write reached its Redis primary but fewer replicas than asked within the wait: it is applied but could be lost in
/// a failover. A <see cref="RedisException"/>, so every caller treats it as a Redis failure (a 503 that may have been applied).
/// </summary>
public sealed class ReplicaWaitException(long acknowledged, int wanted, TimeSpan timeout, string? why = null)
    : RedisException(why is null
        ? $"Redis has the write on {acknowledged} of {wanted} replicas after {timeout.TotalMilliseconds:0} ms; a failover could lose it."
        : $"Redis applied the write but {why}; a failover could lose it.")
{
    public long Acknowledged { get; } = acknowledged;

    public int Wanted { get; } = wanted;
}
