using System.Globalization;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// A 3-server NATS cluster with JetStream on loopback, each server with its own store folder. In nats-server 2.9 a
/// file-storage stream does not fsync per message: a publish is acknowledged once a quorum of its replicas has written
/// it (to the page cache), and the store is fsynced in the background (the stream's blocks every 60 s, its Raft log
/// every 5 min; the <c>sync_interval</c> option that can make it <c>always</c> came in 2.10).
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public const string DebianPackage = "nats-server";

    private readonly PeerGroup _servers;
    private readonly string _dataDir;

    private NatsCluster(PeerGroup servers, string dataDir, string clientUrl, string version)
    {
        _servers = servers;
        _dataDir = dataDir;
        ClientUrl = clientUrl;
        Version = version;
    }

    /// <summary>The servers' client URLs, comma-separated, as NATS.Net takes them.</summary>
    public string ClientUrl { get; }

    public string Version { get; }

    public PeerGroup Processes => _servers;

    public static async Task<NatsCluster> StartAsync(string runDir, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var nats = PeerBinaries.Require("nats-server", DebianPackage);
        var version = await PeerBinaries.VersionAsync(nats);
        var ports = LoopbackPorts.Take(9); // client, cluster and monitoring port per server
        var dataDir = Path.Combine(runDir, "data", "nats");
        string Route(int i) => string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{ports[3 + i]}");
        await progress.WriteLineAsync($"starting NATS JetStream ({version}): 3 servers, client ports {ports[0]},{ports[1]},{ports[2]} (logs: {Path.Combine(runDir, "logs")}/nats-nN.log) ...");
        var servers = await PeerGroup.StartAsync("NATS", [.. Enumerable.Range(0, 3).Select(i => new PeerGroup.Member($"nats n{i + 1}", nats,
            [
                "-js",
                "-sd", Path.Combine(dataDir, $"n{i + 1}"),
                "--server_name", $"n{i + 1}",
                "-a", "127.0.0.1",
                "-p", ports[i].ToString(CultureInfo.InvariantCulture),
                "-m", ports[6 + i].ToString(CultureInfo.InvariantCulture),
                "--cluster", Route(i),
                "--cluster_name", "vs",
                "--routes", string.Join(',', Enumerable.Range(0, 3).Where(r => r != i).Select(Route)),
            ], Path.Combine(runDir, "logs", $"nats-n{i + 1}.log")))]);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            // /healthz is 200 once the server's JetStream is up and it has joined the meta group.
            await PeerReadiness.WaitAsync("NATS", servers, async ct =>
            {
                foreach (var port in ports.Skip(6))
                {
                    using var response = await http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/healthz")), ct);
                    if (!response.IsSuccessStatusCode)
                    {
                        return false;
                    }
                }

                return true;
            }, cancellationToken);
            var clientUrl = string.Join(',', ports.Take(3).Select(p => string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{p}")));
            return new NatsCluster(servers, dataDir, clientUrl, version);
        }
        catch
        {
            await PeerReadiness.StopAsync(servers, dataDir);
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await PeerReadiness.StopAsync(_servers, _dataDir);
}
