namespace DistSync.Node.ClusterView;

public static class ClusterViewSetup
{
    /// <summary>The <c>/cluster</c> page: each feature's section, and the client that asks the other nodes for theirs.</summary>
    public static WebApplicationBuilder AddClusterView(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(ClusterViewApi.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(1));
        builder.Services.AddSingleton<IClusterViewSection, LockClusterViewSection>();
        builder.Services.AddSingleton<IClusterViewSection, QueueClusterViewSection>();
        builder.Services.AddSingleton<IClusterViewSection, CacheClusterViewSection>();
        return builder;
    }
}
