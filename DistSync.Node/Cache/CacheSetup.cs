using DistSync.Node.Hosting;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Cache;

public static class CacheSetup
{
    /// <summary>The coherent cache: this node's L1 and its part of the directory, on the queue's ring.</summary>
    public static WebApplicationBuilder AddCache(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CacheOptions>()
            .BindConfiguration(CacheOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // The cache's core takes the node id and its options as plain values (the simulation builds it the same way).
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<CacheOptions>>().Value);
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<CacheTelemetry>(sp, sp.NodeId()));
        builder.Services.AddSingleton<ICacheRing, CacheRing>();
        builder.Services.AddSingleton<ICacheMemory, RedisCacheMemory>();
        builder.Services.AddSingleton<HttpCachePeers>();
        builder.Services.AddSingleton<ICachePeers>(sp => sp.GetRequiredService<HttpCachePeers>());
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<CacheHome>(sp, sp.NodeId()));
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<CacheNode>(sp, sp.NodeId()));
        // A hosted service, so the home is built at start: it grants nothing for one lease from then (see CacheHome).
        builder.Services.AddHostedService<CacheMaintenance>();
        return builder;
    }
}
