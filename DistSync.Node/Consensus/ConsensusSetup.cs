using DistSync.Node.Hosting;

namespace DistSync.Node.Consensus;

public static class ConsensusSetup
{
    /// <summary>The Raft host, its write-ahead log and its HTTP transport to the peers.</summary>
    public static WebApplicationBuilder AddConsensus(this WebApplicationBuilder builder)
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
        builder.Services.AddSingleton<ClusterAdmission>();
        builder.Services.AddSingleton<HttpRaftTransport>();
        builder.Services.AddSingleton<IRaftTransport>(sp => sp.GetRequiredService<HttpRaftTransport>());
        builder.Services.AddSingleton<RaftHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RaftHost>());
        builder.Services.AddSingleton<INodeStatus>(sp => sp.GetRequiredService<RaftHost>());
        return builder;
    }
}
