using System.Diagnostics.Metrics;
using DistSync.Node.Cache;
using DistSync.Node.Cluster;
using DistSync.Node.Consensus;
using DistSync.Node.Http;
using DistSync.Node.Locks;
using DistSync.Node.Queue;
using DistSync.Node.Security;
using DistSync.Node.Storage;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;
using StackExchange.Redis;

namespace DistSync.Node;

/// <summary>Registers and maps everything a node serves; Program.cs stays a few lines.</summary>
public static class NodeApplication
{
    public static WebApplicationBuilder AddNodeServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NodeOptions>()
            .BindConfiguration(NodeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        builder.Services.AddSingleton<PeerDirectory>();
        builder.Services.AddSingleton<PeerCredentials>();
        // One instance: it remembers when it last warned about each refused sender.
        builder.Services.AddSingleton<ClusterKeyMiddleware>();
        builder.AddSecurity();

        builder.Services.ConfigureHttpJsonOptions(o => NodeJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("node_id", ctx.HttpContext.RequestServices.GetRequiredService<IOptions<NodeOptions>>().Value.NodeId));
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Binding failures throw, so BadRequestExceptionHandler can name the field in a problem response.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi(o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("internal", StringComparison.Ordinal) != true;
            o.AddDocumentTransformer<BearerSecurityScheme>();
        });

        builder.Services.AddSingleton(TimeProvider.System);
        // Aspire's Redis client: the multiplexer, a health check in /health, and Redis commands in the traces.
        // Redis replies complete on the .NET thread pool, not on SE.Redis's own dedicated threads: on a 2-core machine
        // shared by three nodes, one pool to schedule is enough (the profile showed those threads contending for a lock).
        builder.AddRedisClient(RedisConnection.ConnectionStringName, configureOptions: redis => redis.SocketManager = SocketManager.ThreadPool);
        builder.Services.AddHostedService<RedisConnection>();
        builder.Services.AddHttpClient(ClusterViewApi.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(1));
        builder.AddConsensus();
        builder.AddMembership();
        builder.AddLocks();
        builder.AddQueue();
        builder.AddCache();
        return builder;
    }

    /// <summary>Tokens and roles, the audit log, per-token rate limits and caps on blocking waits.</summary>
    private static void AddSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        builder.Services.AddSingleton<TokenTable>();
        builder.Services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddRolePolicies());
        builder.Services.AddTokenRateLimits();
        builder.Services.AddSingleton<BlockingWaits>();
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName);
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
    }

    private static void AddConsensus(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RaftHostOptions>()
            .BindConfiguration(RaftHostOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<RaftTelemetry>();
        // One never-ending request per peer (the transport times out its own writes), so no client timeout.
        builder.Services.AddHttpClient(HttpRaftTransport.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Raft retries on its own terms; a resilience pipeline here would only delay and duplicate.
                ConnectTimeout = TimeSpan.FromSeconds(2),
                UseProxy = false,
            });
        builder.Services.AddSingleton<HttpRaftTransport>();
        builder.Services.AddSingleton<IRaftTransport>(sp => sp.GetRequiredService<HttpRaftTransport>());
        builder.Services.AddSingleton<RaftHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RaftHost>());
        builder.Services.AddSingleton<INodeStatus>(sp => sp.GetRequiredService<RaftHost>());
    }

    /// <summary>The ring's membership: replicated through Raft, changed by the leader when a node is lost or back.</summary>
    private static void AddMembership(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MembershipOptions>()
            .BindConfiguration(MembershipOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<MembershipStateMachine>();
        builder.Services.AddSingleton<IReplicatedStateMachine>(sp => sp.GetRequiredService<MembershipStateMachine>());
        builder.Services.AddHostedService<MembershipMonitor>();
    }

    private static void AddQueue(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueueOptions>()
            .BindConfiguration(QueueOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<TopicRegistry>();
        builder.Services.AddSingleton<IReplicatedStateMachine>(sp => sp.GetRequiredService<TopicRegistry>());
        builder.Services.AddSingleton<QueueTelemetry>();
        builder.Services.AddSingleton<QueueRing>();
        builder.Services.AddSingleton<IQueueStore, RedisQueueStore>();
        builder.Services.AddSingleton<OwnedPartitions>();
        builder.Services.AddSingleton<QueueOwner>();
        builder.Services.AddSingleton<IQueuePeers, QueueForwarder>();
        builder.Services.AddSingleton<QueueNotifications>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueNotifications>());
        builder.Services.AddSingleton<QueueService>();
        builder.Services.AddHostedService<RedeliveryScheduler>();
        builder.Services.AddSingleton<IClusterViewSection, QueueClusterViewSection>();
    }

    /// <summary>The coherent cache: this node's L1 and its part of the directory, on the queue's ring.</summary>
    private static void AddCache(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CacheOptions>()
            .BindConfiguration(CacheOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new CacheTelemetry(sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<IOptions<NodeOptions>>().Value.NodeId));
        builder.Services.AddSingleton<ICacheRing, CacheRing>();
        builder.Services.AddSingleton<ICacheMemory, RedisCacheMemory>();
        builder.Services.AddSingleton<HttpCachePeers>();
        builder.Services.AddSingleton<ICachePeers>(sp => sp.GetRequiredService<HttpCachePeers>());
        builder.Services.AddSingleton(sp => new CacheHome(sp.GetRequiredService<IOptions<NodeOptions>>().Value.NodeId, sp.GetRequiredService<ICacheRing>(),
            sp.GetRequiredService<ICacheMemory>(), sp.GetRequiredService<ICachePeers>(), sp.GetRequiredService<IOptions<CacheOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<CacheTelemetry>()));
        builder.Services.AddSingleton(sp => new CacheNode(sp.GetRequiredService<IOptions<NodeOptions>>().Value.NodeId, sp.GetRequiredService<CacheHome>(),
            sp.GetRequiredService<ICacheRing>(), sp.GetRequiredService<ICacheMemory>(), sp.GetRequiredService<ICachePeers>(),
            sp.GetRequiredService<IOptions<CacheOptions>>().Value, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<CacheTelemetry>()));
        // A hosted service, so the home is built at start: it grants nothing for one lease from then (see CacheHome).
        builder.Services.AddHostedService<CacheMaintenance>();
        builder.Services.AddSingleton<IClusterViewSection, CacheClusterViewSection>();
    }

    private static void AddLocks(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LockTelemetry>();
        builder.Services.AddSingleton<LockStateMachine>();
        builder.Services.AddSingleton<IReplicatedStateMachine>(sp => sp.GetRequiredService<LockStateMachine>());
        builder.Services.AddSingleton<LockService>();
        builder.Services.AddHostedService<LockExpiryService>();
        builder.Services.AddSingleton<IClusterViewSection, LockClusterViewSection>();
    }

    public static WebApplication MapNodeApis(this WebApplication app)
    {
        // Outermost, so an event records the answer the client got, whatever produced it.
        app.UseAudit();
        app.UseExceptionHandler();
        // A bare status (405, 415, …) becomes a problem too, whatever the client's Accept says.
        app.UseStatusCodePages(context => TypedResults.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        // Before anything reads a body: /internal/* refuses a request without the cluster key unread.
        app.UseMiddleware<ClusterKeyMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseBodyLimits();

        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", o => o.WithTitle("DistSync API").WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddPreferredSecuritySchemes(BearerSecurityScheme.Name)).AllowAnonymous();
        app.MapDefaultEndpoints(HealthResponseWriter.WriteAsync);
        app.MapRaftApi();
        app.MapLocksApi();
        app.MapQueueApi();
        app.MapQueueInternalApi();
        app.MapCacheApi();
        app.MapCacheInternalApi();
        app.MapClusterViewApi();

        var options = app.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
        var peers = app.Services.GetRequiredService<PeerDirectory>();
        app.Logger.NodeStarting(options.NodeId, string.Join(",", peers.PeerIds), options.ResolveDataDir());
        // Checked now, before Raft opens the log: a data folder of another cluster, or a lost one, stops the node here.
        var cluster = app.Services.GetRequiredService<PeerCredentials>().ClusterId;
        app.Logger.ClusterIdentified(cluster ?? "(none: DistSync__ClusterId is not set, so peers' cluster ids are not checked)");
        var tokens = app.Services.GetRequiredService<TokenTable>();
        if (tokens.Off)
        {
            app.Logger.AuthOff();
        }
        else
        {
            app.Logger.AuthTokens(string.Join(", ", tokens.Grants.Select(g => g.Prefixes.Count == 0 ? $"{g.Name} ({g.Role})" : $"{g.Name} ({g.Role}, {string.Join("|", g.Prefixes)})")));
        }

        return app;
    }
}
