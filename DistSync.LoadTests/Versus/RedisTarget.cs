using System.Globalization;
using DistSync.LoadTests.Cluster;
using StackExchange.Redis;

namespace DistSync.LoadTests.Versus;

/// <summary>Redis through StackExchange.Redis, one multiplexer shared by every worker: GET of the worker's own key.</summary>
public sealed class RedisTarget : IVersusTarget, IAsyncDisposable
{
    /// <summary>The value every cache key holds, on both sides.</summary>
    internal const string Value = "{\"user\":17,\"name\":\"Ada\",\"roles\":[\"admin\",\"dev\"]}";

    private readonly ConnectionMultiplexer _redis;
    private readonly string _run;

    private RedisTarget(ConnectionMultiplexer redis, string run)
    {
        _redis = redis;
        _run = run;
    }

    public string System => VersusSystems.Redis;

    public string Driver => "SE.Redis";

    public static async Task<RedisTarget> CreateAsync(RedisProcess redis, string run)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return new RedisTarget(await ConnectionMultiplexer.ConnectAsync(redis.Configuration), run);
    }

    public bool Runs(string workload) => workload == VersusWorkloads.Cache;

    public async Task<VersusRun> PrepareAsync(string workload, int workers, CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var keys = Enumerable.Range(0, workers).Select(i => (RedisKey)string.Create(CultureInfo.InvariantCulture, $"vs:{_run}:{workers}:{i}")).ToArray();
        await Task.WhenAll(keys.Select(k => db.StringSetAsync(k, Value)));
        return new VersusRun(
            (i, _) => ClientOutcome.RunAsync(async () =>
            {
                var value = await db.StringGetAsync(keys[i]);
                return value.HasValue ? OpResult.Ok : OpResult.Failed("miss");
            }),
            async () => await db.KeyDeleteAsync(keys));
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
