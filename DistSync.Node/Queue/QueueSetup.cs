using DistSync.Node.Consensus;

namespace DistSync.Node.Queue;

public static class QueueSetup
{
    /// <summary>Topics on Raft; partitions owned on the ring, kept in Redis, forwarded to their owners.</summary>
    public static WebApplicationBuilder AddQueue(this WebApplicationBuilder builder)
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
        return builder;
    }
}
