using DistSync.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Client;

/// <summary>The Aspire-style registration: settings from the connection string and the <c>DistSync:Client</c> section, the health check, the faces.</summary>
public sealed class ClientRegistrationTests
{
    [Fact]
    public async Task AddDistSyncClient_ReadsTheConnectionStringAndSection_AndRegistersTheClientAndAHealthCheck()
    {
        var builder = Builder(("ConnectionStrings:distsync", "Endpoints=http://127.0.0.1:9001,http://127.0.0.1:9002;Token=t0k"),
            ("DistSync:Client:ClientId", "orders-7"), ("DistSync:Client:SessionTtl", "00:00:20"));

        builder.AddDistSyncClient("distsync");
        builder.Services.AddDistSyncDistributedCache().AddDistSyncDistributedLock();
        await using var services = builder.Services.BuildServiceProvider();

        var client = services.GetRequiredService<DistSyncClient>();
        Assert.Equal(["http://127.0.0.1:9001/", "http://127.0.0.1:9002/"], client.Options.Endpoints.Select(e => e.ToString()));
        Assert.Equal(("t0k", "orders-7", TimeSpan.FromSeconds(20)), (client.Options.Token, client.ClientId, client.Options.SessionTtl));
        Assert.Contains(services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations, r => r.Name == "distsync");
        Assert.IsType<DistSyncDistributedCache>(services.GetRequiredService<IDistributedCache>());
        Assert.IsType<DistSyncDistributedLockProvider>(services.GetRequiredService<Medallion.Threading.IDistributedLockProvider>());
    }

    [Fact]
    public async Task AddDistSyncClient_DisableHealthChecks_LeavesItOut()
    {
        var builder = Builder(("ConnectionStrings:distsync", "Endpoints=http://127.0.0.1:9001"), ("DistSync:Client:DisableHealthChecks", "true"));

        builder.AddDistSyncClient("distsync");
        await using var services = builder.Services.BuildServiceProvider();

        Assert.DoesNotContain(services.GetService<IOptions<HealthCheckServiceOptions>>()?.Value.Registrations ?? [], r => r.Name == "distsync");
    }

    [Fact]
    public void AddDistSyncClient_WithoutAConnectionString_SaysWhereOneComesFrom()
    {
        var builder = Builder();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddDistSyncClient("distsync"));

        Assert.Contains("ConnectionStrings:distsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDistSyncConsumer_AHandlerThatHandlesNothing_IsRefused()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentException>(() => services.AddDistSyncConsumer<NotAHandler>("orders"));
    }

    private static HostApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        return builder;
    }

    private sealed class NotAHandler;
}
