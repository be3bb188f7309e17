using StackExchange.Redis;

namespace DistSync.Tests.Infrastructure;

/// <summary>A real Redis a test talks to directly: one server (<see cref="RedisServer"/>) or a cluster (<see cref="RedisCluster"/>).</summary>
public interface ITestRedis : IAsyncDisposable
{
    ConnectionMultiplexer Connection { get; }
}
