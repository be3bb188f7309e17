using DistSync.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A node in this test process: Program.cs's set-up (without telemetry export) on a free loopback port, its own Redis
/// and data folder, every log line captured and every request body's reads counted. For tests of the node's real
/// pipeline that need to see what it read or logged; peers, if configured, are addresses nobody answers on.
/// </summary>
internal sealed class InProcessNode : IAsyncDisposable
{
    public const string AdminToken = "admin-token-0123456789abcdef";

    private readonly WebApplication _app;
    private readonly RedisServer _redis;
    private readonly string _dataDir;

    private InProcessNode(WebApplication app, RedisServer redis, string dataDir, CapturedLogs logs, BodyReads reads)
    {
        _app = app;
        _redis = redis;
        _dataDir = dataDir;
        Logs = logs;
        Reads = reads;
        Url = new Uri(app.Urls.First());
    }

    public Uri Url { get; }

    /// <summary>The node's own Redis.</summary>
    public RedisServer Redis => _redis;

    public CapturedLogs Logs { get; }

    /// <summary>The node's services, for a test that looks at its parts (the scheduler's counters, the Raft host).</summary>
    public IServiceProvider Services => _app.Services;

    public BodyReads Reads { get; }

    /// <summary>A client of this node with no credentials.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Starts a node with <paramref name="settings"/> (configuration keys: <c>DistSync:ClusterKey</c>, <c>services:node2:http:0</c>, …) over the defaults, and <paramref name="services"/> registered after its own.</summary>
    public static async Task<InProcessNode> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var redis = await RedisServer.StartAsync("redis-server");
        var dataDir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));
        var logs = new CapturedLogs();
        var reads = new BodyReads();
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DistSync:NodeId"] = "node1",
                ["DistSync:DataDir"] = dataDir,
                ["DistSync:Auth:Tokens:admin:Secret"] = AdminToken,
                ["DistSync:Auth:Tokens:admin:Role"] = "admin",
                ["ConnectionStrings:redis"] = $"127.0.0.1:{redis.Port}",
            });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
            builder.Services.AddSingleton<IStartupFilter>(reads);
            builder.Services.AddHealthChecks(); // AddServiceDefaults' part that MapNodeApis needs
            builder.AddNodeServices();
            services?.Invoke(builder.Services); // registered last, so a test's replacement (a skewed clock) wins
            app = builder.Build();
            app.CheckStartup().MapNodeApis();
            await app.StartAsync(TestContext.Current.CancellationToken);
            return new InProcessNode(app, redis, dataDir, logs, reads);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await redis.DisposeAsync();
            DeleteQuietly(dataDir);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
        DeleteQuietly(_dataDir);
    }

    private static void DeleteQuietly(string dir)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
