using System.Net;
using System.Net.Sockets;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Consensus;

/// <summary>
/// One Raft node inside the test process: its own Kestrel on a loopback port serving the peer stream
/// (<see cref="RaftApi.ReceiveStreamAsync"/>), the real <see cref="HttpRaftTransport"/>, the real
/// <see cref="RaftHost"/> with its WAL and snapshots on disk, and the state machine the test gives it. Nothing else
/// of a node (no Redis, no client API), so a cluster of three starts in a second or two.
/// </summary>
internal sealed class InProcessRaftNode : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessRaftNode(string id, WebApplication app)
    {
        Id = id;
        _app = app;
        Host = app.Services.GetRequiredService<RaftHost>();
    }

    public string Id { get; }

    public RaftHost Host { get; }

    /// <summary>Loopback ports for <paramref name="ids"/>, free when asked (each node binds its own at start).</summary>
    public static Dictionary<string, int> FreePorts(params string[] ids) => ids.ToDictionary(id => id, _ =>
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    });

    public static async Task<InProcessRaftNode> StartAsync(string id, IReadOnlyDictionary<string, int> ports, string dataDir,
        RaftHostOptions options, IReplicatedStateMachine machine, ITestOutputHelper? output)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{ports[id]}");
        builder.Configuration.AddInMemoryCollection(ports.ToDictionary(p => $"services:{p.Key}:http:0", p => (string?)$"http://127.0.0.1:{p.Value}"));
        builder.Logging.ClearProviders();
        if (output is not null)
        {
            builder.Logging.AddProvider(new OutputLogger(id, output));
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("System", LogLevel.Warning);
        }

        var services = builder.Services;
        services.AddSingleton(Options.Create(new NodeOptions { NodeId = id, DataDir = dataDir, ClusterKey = "in-process" }));
        services.AddSingleton(Options.Create(options));
        services.AddMetrics();
        services.AddSingleton<PeerDirectory>();
        services.AddSingleton<PeerCredentials>();
        services.AddSingleton<ClusterFounding>();
        services.AddSingleton<ClusterAdmission>();
        services.AddSingleton<RaftTelemetry>();
        services.AddHttpClient(HttpRaftTransport.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<HttpRaftTransport>();
        services.AddSingleton<IRaftTransport>(sp => sp.GetRequiredService<HttpRaftTransport>());
        services.AddSingleton(machine);
        services.AddSingleton<RaftHost>();
        services.AddHostedService(sp => sp.GetRequiredService<RaftHost>());
        var app = builder.Build();
        app.Services.GetRequiredService<PeerCredentials>().Establish();
        app.Services.GetRequiredService<ClusterFounding>().Load(ClusterState.New);
        app.MapPost(HttpRaftTransport.StreamPath, RaftApi.ReceiveStreamAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new InProcessRaftNode(id, app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    /// <summary>The node's own log lines in the test's output, so a failure shows what each node did and when.</summary>
    private sealed class OutputLogger(string node, ITestOutputHelper output) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {node} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test ended; its output is closed.
            }
        }

        public void Dispose()
        {
        }
    }
}
