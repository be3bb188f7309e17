using System.Globalization;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// A 3-member etcd cluster on loopback, each member with its own data folder. etcd fsyncs its WAL before a write is
/// committed (one fsync per batch of entries), so an acknowledged write is on a quorum's disks.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    public const string DebianPackage = "etcd-server";

    private readonly PeerGroup _members;
    private readonly string _dataDir;

    private EtcdCluster(PeerGroup members, string dataDir, IReadOnlyList<Uri> clientUrls, string version)
    {
        _members = members;
        _dataDir = dataDir;
        ClientUrls = clientUrls;
        Version = version;
    }

    public IReadOnlyList<Uri> ClientUrls { get; }

    public string Version { get; }

    public PeerGroup Processes => _members;

    /// <param name="runDir">The run's folder: data under <c>data/etcd/eN</c>, logs under <c>logs/etcd-eN.log</c>.</param>
    public static async Task<EtcdCluster> StartAsync(string runDir, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var etcd = PeerBinaries.Require("etcd", DebianPackage);
        var version = await PeerBinaries.VersionAsync(etcd);
        var ports = LoopbackPorts.Take(6);
        var names = new[] { "e1", "e2", "e3" };
        string Url(int port) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        var initialCluster = string.Join(',', names.Select((n, i) => $"{n}={Url(ports[3 + i])}"));
        var dataDir = Path.Combine(runDir, "data", "etcd");
        await progress.WriteLineAsync($"starting etcd ({version}): 3 members, client ports {ports[0]},{ports[1]},{ports[2]} (logs: {Path.Combine(runDir, "logs")}/etcd-eN.log) ...");
        var members = await PeerGroup.StartAsync("etcd", [.. names.Select((name, i) => new PeerGroup.Member($"etcd {name}", etcd,
            [
                "--name", name,
                "--data-dir", Path.Combine(dataDir, name),
                "--listen-client-urls", Url(ports[i]),
                "--advertise-client-urls", Url(ports[i]),
                "--listen-peer-urls", Url(ports[3 + i]),
                "--initial-advertise-peer-urls", Url(ports[3 + i]),
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", "distsync-vs-" + Path.GetFileName(runDir),
                "--logger", "zap",
                "--log-outputs", "stderr",
            ], Path.Combine(runDir, "logs", $"etcd-{name}.log")))]);
        try
        {
            var clientUrls = ports.Take(3).Select(p => new Uri(Url(p))).ToArray();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            // /health answers true once the member has a leader and can serve a linearizable read.
            await PeerReadiness.WaitAsync("etcd", members, async ct =>
            {
                foreach (var url in clientUrls)
                {
                    var body = await http.GetStringAsync(new Uri(url, "/health"), ct);
                    if (!body.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            }, cancellationToken);
            return new EtcdCluster(members, dataDir, clientUrls, version);
        }
        catch
        {
            await PeerReadiness.StopAsync(members, dataDir);
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await PeerReadiness.StopAsync(_members, _dataDir);
}
