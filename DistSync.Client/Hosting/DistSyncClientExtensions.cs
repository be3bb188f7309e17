using DistSync.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>DistSync in an app's services, as Aspire's client integrations register theirs.</summary>
public static class DistSyncClientExtensions
{
    public const string DefaultConfigSectionName = "DistSync:Client";

    /// <summary>
    /// Registers one <see cref="DistSyncClient"/> for <c>ConnectionStrings:{connectionName}</c> (set by an AppHost's
    /// <c>WithReference(distsync)</c>), with the <c>DistSync:Client</c> settings, a health check, and the client's traces
    /// and metrics in the app's OpenTelemetry.
    /// </summary>
    public static IHostApplicationBuilder AddDistSyncClient(this IHostApplicationBuilder builder, string connectionName,
        Action<DistSyncClientSettings>? configureSettings = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionName);
        var settings = new DistSyncClientSettings();
        builder.Configuration.GetSection(DefaultConfigSectionName).Bind(settings);
        if (builder.Configuration.GetConnectionString(connectionName) is { } connectionString && settings.ConnectionString is null)
        {
            settings.ConnectionString = connectionString;
        }

        configureSettings?.Invoke(settings);
        var options = settings.ToOptions(connectionName);
        builder.Services.TryAddSingleton(_ => new DistSyncClient(options));

        if (!settings.DisableHealthChecks)
        {
            builder.Services.AddHealthChecks().Add(new Diagnostics.HealthChecks.HealthCheckRegistration(
                "distsync", sp => new DistSyncHealthCheck(sp.GetRequiredService<DistSyncClient>()), failureStatus: null, tags: null,
                timeout: TimeSpan.FromSeconds(5)));
        }

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(DistSyncTelemetry.Name));
        }

        if (!settings.DisableMetrics)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(DistSyncTelemetry.Name));
        }

        return builder;
    }

    /// <summary>
    /// DistSync as the app's <c>DistributedLock.Core</c> providers (<c>IDistributedLockProvider</c> and
    /// <c>IDistributedReaderWriterLockProvider</c>), so code written against that library uses DistSync's locks.
    /// </summary>
    public static IServiceCollection AddDistSyncDistributedLock(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new DistSyncDistributedLockProvider(sp.GetRequiredService<DistSyncClient>()));
        services.Replace(ServiceDescriptor.Singleton<Medallion.Threading.IDistributedLockProvider>(sp => sp.GetRequiredService<DistSyncDistributedLockProvider>()));
        services.Replace(ServiceDescriptor.Singleton<Medallion.Threading.IDistributedReaderWriterLockProvider>(sp => sp.GetRequiredService<DistSyncDistributedLockProvider>()));
        return services;
    }

    /// <summary>DistSync's coherent cache as the app's <see cref="IDistributedCache"/> (and so as <c>HybridCache</c>'s second level).</summary>
    public static IServiceCollection AddDistSyncDistributedCache(this IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<IDistributedCache>(sp => new DistSyncDistributedCache(sp.GetRequiredService<DistSyncClient>())));
        return services;
    }

    /// <summary>
    /// Runs <paramref name="concurrency"/> consumers of <paramref name="topic"/> in the app's host, handing each message to
    /// a <typeparamref name="THandler"/> (an <see cref="IQueueHandler{T}"/>, resolved in a scope per message): acked when
    /// it returns, nacked when it throws, kept hidden while it runs. A failed message comes back after
    /// <paramref name="retryDelay"/> (default 1 s), doubled at each further delivery, at most 15 minutes. Needs
    /// <see cref="AddDistSyncClient"/>.
    /// </summary>
    public static IServiceCollection AddDistSyncConsumer<THandler>(this IServiceCollection services, string topic, int concurrency = 1,
        ConsumeOptions? options = null, TimeSpan? retryDelay = null)
        where THandler : class
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var handler = typeof(THandler).GetInterfaces().SingleOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IQueueHandler<>))
            ?? throw new ArgumentException($"{typeof(THandler).Name} does not implement IQueueHandler<T> (just once).", nameof(THandler));
        var service = typeof(QueueConsumerService<,>).MakeGenericType(handler.GetGenericArguments()[0], typeof(THandler));
        ArgumentOutOfRangeException.ThrowIfLessThan(retryDelay ?? TimeSpan.Zero, TimeSpan.Zero);
        var settings = new QueueConsumerSettings(topic, concurrency, options ?? new ConsumeOptions(), retryDelay ?? TimeSpan.FromSeconds(1));
        services.TryAddScoped<THandler>();
        services.AddSingleton(sp => (IHostedService)ActivatorUtilities.CreateInstance(sp, service, settings));
        return services;
    }
}
