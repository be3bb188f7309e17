using Microsoft.Extensions.Options;

namespace DistSync.Node.Cache;

/// <summary>
/// Writes back dirty lines within the write-back delay (and all of them when the node stops), and sweeps the home's
/// directory of entries nobody holds a lease on.
/// </summary>
public sealed class CacheMaintenance(CacheNode cache, CacheHome home, IOptions<CacheOptions> options, TimeProvider time, ILogger<CacheMaintenance> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WriteBackDelay / 4, time);
        var sweepEvery = (int)Math.Max(1, TimeSpan.FromSeconds(1) / (options.Value.WriteBackDelay / 4));
        var ticks = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await cache.FlushAsync(all: false);
                }
                catch (StackExchange.Redis.RedisException ex)
                {
                    logger.LogWarning("Cache write-back failed; will retry: {Reason}", ex.Message);
                }

                if (++ticks % sweepEvery == 0)
                {
                    home.Sweep();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node is stopping: the last write-backs below.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await cache.FlushAsync(all: true);
        }
        catch (StackExchange.Redis.RedisException ex)
        {
            logger.LogWarning("Cache write-back at stop failed: {Reason}", ex.Message);
        }
    }
}
