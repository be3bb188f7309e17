using DistSync.Node.Http;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DistSync.Node.Hosting;

public static class HostingSetup
{
    /// <summary>The node's identity and peers, problem answers, JSON, the clock, and the Redis connection.</summary>
    public static WebApplicationBuilder AddNodeHosting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NodeOptions>()
            .BindConfiguration(NodeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        builder.Services.AddSingleton<PeerDirectory>();
        builder.Services.AddSingleton<PeerCredentials>();
        builder.Services.AddSingleton<ClusterFounding>();
        builder.Services.AddSingleton<DataDirLock>();
        // One instance: it remembers when it last warned about each refused sender.
        builder.Services.AddSingleton<ClusterKeyMiddleware>();

        builder.Services.ConfigureHttpJsonOptions(o => NodeJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("node_id", ctx.HttpContext.RequestServices.GetRequiredService<IOptions<NodeOptions>>().Value.NodeId));
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures throw, so BadRequestExceptionHandler can name the field in a problem response.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        builder.Services.AddSingleton(TimeProvider.System);
        // Aspire's Redis client: the multiplexer, a health check in /health, and Redis commands in the traces.
        // Redis replies complete on the .NET thread pool, not on SE.Redis's own dedicated threads: on a 2-core machine
        // shared by three nodes, one pool to schedule is enough (the profile showed those threads contending for a lock).
        builder.AddRedisClient(RedisConnection.ConnectionStringName, configureOptions: redis => redis.SocketManager = SocketManager.ThreadPool);
        builder.Services.AddHostedService<RedisConnection>();
        builder.Services.AddOptions<RedisOptions>()
            .BindConfiguration(RedisOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => ReplicaWaits.For(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<RedisOptions>>()));
        return builder;
    }

    /// <summary>The node's id, for services that take it as a plain value.</summary>
    public static string NodeId(this IServiceProvider services) => services.GetRequiredService<IOptions<NodeOptions>>().Value.NodeId;
}
