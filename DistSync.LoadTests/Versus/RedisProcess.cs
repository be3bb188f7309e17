using System.Globalization;
using StackExchange.Redis;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// One redis-server on loopback with the durability DistSync's own Redis runs with: no RDB snapshots, the append-only
/// file on, <c>appendfsync always</c> (each write fsynced before Redis answers it).
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    public const string DebianPackage = "redis-server";

    private readonly PeerGroup _server;
    private readonly string _dataDir;

    private RedisProcess(PeerGroup server, string dataDir, int port, string version)
    {
        _server = server;
        _dataDir = dataDir;
        Port = port;
        Version = version;
    }

    public int Port { get; }

    public string Version { get; }

    public PeerGroup Processes => _server;

    /// <summary>StackExchange.Redis's configuration string for it.</summary>
    public string Configuration => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port},abortConnect=false");

    public static async Task<RedisProcess> StartAsync(string runDir, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var redis = PeerBinaries.Require("redis-server", DebianPackage);
        var version = await PeerBinaries.VersionAsync(redis);
        var port = LoopbackPorts.Take(1)[0];
        var dataDir = Path.Combine(runDir, "data", "redis");
        Directory.CreateDirectory(dataDir);
        var log = Path.Combine(runDir, "logs", "redis.log");
        await progress.WriteLineAsync($"starting Redis ({version}) on port {port}, appendfsync always (log: {log}) ...");
        var server = await PeerGroup.StartAsync("Redis",
            [new PeerGroup.Member("redis", redis, ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dataDir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"], log)]);
        try
        {
            await PeerReadiness.WaitAsync("Redis", server, async ct =>
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port},connectTimeout=1000"));
                await connection.GetDatabase().PingAsync();
                return true;
            }, cancellationToken);
            return new RedisProcess(server, dataDir, port, version);
        }
        catch
        {
            await PeerReadiness.StopAsync(server, dataDir);
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await PeerReadiness.StopAsync(_server, _dataDir);
}
