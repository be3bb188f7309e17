using StackExchange.Redis;

namespace DistSync.Node.Hosting;

/// <summary>
/// Opens the Redis connection (registered by Aspire's <c>AddRedisClient</c>) while the node starts, before Kestrel
/// takes requests: Aspire's factory connects synchronously on first use, and a burst of first requests blocked on it
/// starved the thread pool (seconds with nothing served). The multiplexer does not abort when Redis is not up yet;
/// it keeps retrying, and <c>/health</c> says Redis is unreachable until it answers.
/// </summary>
public sealed class RedisConnection(IServiceProvider services, ILogger<RedisConnection> logger) : IHostedService
{
    public const string ConnectionStringName = "redis";

    public Task StartAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            var multiplexer = services.GetRequiredService<IConnectionMultiplexer>();
            logger.RedisConnecting(string.Join(",", multiplexer.GetEndPoints().Select(e => e.ToString())), multiplexer.IsConnected);
        }, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
