namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A class fixture handing out the Redis kinds the store tests run against: a fresh <c>redis-server</c> or Garnet per
/// test, and one <see cref="RedisCluster"/> shared by the class (it costs seconds to form), flushed before each use.
/// </summary>
public sealed class TestRedisServers : IAsyncDisposable
{
    public const string Cluster = "redis-cluster";

    private RedisCluster? _cluster;

    /// <summary>Every kind: the two servers the AppHost runs by default and a Redis Cluster.</summary>
    public static TheoryData<string> All => ["redis-server", Cluster, "garnet"];

    public async Task<ITestRedis> StartAsync(string kind)
    {
        if (kind != Cluster)
        {
            return await RedisServer.StartAsync(kind);
        }

        _cluster ??= await RedisCluster.StartAsync();
        await _cluster.FlushAsync();
        return new Shared(_cluster);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>The shared cluster, which outlives the test: disposing this leaves it running.</summary>
    private sealed class Shared(RedisCluster cluster) : ITestRedis
    {
        public StackExchange.Redis.ConnectionMultiplexer Connection => cluster.Connection;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
