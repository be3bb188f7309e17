using StackExchange.Redis;

namespace DistSync.Node.Storage;

/// <summary>
/// The process's one Redis multiplexer. Connected asynchronously at start-up (a synchronous connect
/// inside a DI factory starved the thread pool under a burst of first requests) and without aborting
/// when Redis is not up yet: the multiplexer keeps retrying and /health says Redis is unreachable.
/// </summary>
public sealed class RedisConnection(IConfiguration configuration, ILogger<RedisConnection> logger) : IHostedService, IAsyncDisposable
{
    public const string ConnectionStringName = "redis";

    private ConnectionMultiplexer? _multiplexer;

    public IConnectionMultiplexer Multiplexer =>
        _multiplexer ?? throw new InvalidOperationException("Redis is used before the node started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "No Redis connection string: set ConnectionStrings__redis (e.g. '127.0.0.1:6379,password=...').");
        }

        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ClientName = configuration["DistSync:NodeId"];
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        logger.RedisConnecting(string.Join(",", options.EndPoints), _multiplexer.IsConnected);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is not null)
        {
            await _multiplexer.DisposeAsync();
        }
    }
}
