using DistSync.Client;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// The systems of one <c>vs</c> run, started (or, for DistSync with <c>--urls</c>, found) and their targets made: the
/// peers a chosen workload needs as local processes in the run's folder, DistSync as a 3-node cluster through the
/// AppHost with the dashboard on. Disposing stops what it started and deletes the run's folder.
/// </summary>
public sealed class VersusLineup : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _started = [];
    private readonly List<IVersusTarget> _targets = [];
    private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);

    private VersusLineup(string runDir) => RunDir = runDir;

    /// <summary>The run's temp folder: <c>data/</c> (deleted with each system) and <c>logs/</c>.</summary>
    public string RunDir { get; }

    /// <summary>Peers first, then DistSync's drivers in the order asked.</summary>
    public IReadOnlyList<IVersusTarget> Targets => _targets;

    /// <summary>Each system's version or, for DistSync, where it runs.</summary>
    public IReadOnlyDictionary<string, string> Versions => _versions;

    /// <summary>Keep the logs after the run (something failed: they are where to look).</summary>
    public bool KeepLogs { get; set; }

    public static async Task<VersusLineup> StartAsync(VersusOptions options, string run, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var lineup = new VersusLineup(Path.Combine(Path.GetTempPath(), "distsync-vs", run));
        try
        {
            foreach (var skipped in options.Systems.Where(s => s != VersusSystems.DistSync && !options.Peers.Contains(s)))
            {
                await progress.WriteLineAsync($"not starting {VersusSystems.Title(skipped)}: no chosen workload is measured against it");
            }

            foreach (var peer in options.Peers)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await lineup.StartPeerAsync(peer, run, progress, cancellationToken);
            }

            if (options.Systems.Contains(VersusSystems.DistSync))
            {
                await lineup.StartDistSyncAsync(options, run, progress, cancellationToken);
            }

            return lineup;
        }
        catch
        {
            lineup.KeepLogs = true;
            await lineup.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops everything, the last started first; deletes the run's folder unless <see cref="KeepLogs"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].DisposeAsync();
        }

        _started.Clear();
        if (KeepLogs)
        {
            await Console.Error.WriteLineAsync($"the systems' logs are kept in {Path.Combine(RunDir, "logs")}");
            return;
        }

        try
        {
            Directory.Delete(RunDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was started.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"warning: could not delete {RunDir}: {ex.Message}");
        }
    }

    private async Task StartPeerAsync(string peer, string run, TextWriter progress, CancellationToken cancellationToken)
    {
        switch (peer)
        {
            case VersusSystems.Etcd:
                var etcd = await EtcdCluster.StartAsync(RunDir, progress, cancellationToken);
                _started.Add(etcd);
                _versions[peer] = etcd.Version;
                var etcdTarget = new EtcdTarget(etcd, run);
                _started.Add(new Disposer(() => { etcdTarget.Dispose(); return ValueTask.CompletedTask; }));
                _targets.Add(etcdTarget);
                break;
            case VersusSystems.Nats:
                var nats = await NatsCluster.StartAsync(RunDir, progress, cancellationToken);
                _started.Add(nats);
                _versions[peer] = nats.Version;
                var natsTarget = await NatsTarget.CreateAsync(nats, run, cancellationToken);
                _started.Add(natsTarget);
                _targets.Add(natsTarget);
                break;
            case VersusSystems.Redis:
                var redis = await RedisProcess.StartAsync(RunDir, progress, cancellationToken);
                _started.Add(redis);
                _versions[peer] = redis.Version;
                var redisTarget = await RedisTarget.CreateAsync(redis, run);
                _started.Add(redisTarget);
                _targets.Add(redisTarget);
                break;
            default:
                throw new ArgumentException($"unknown peer '{peer}'.", nameof(peer));
        }

        await progress.WriteLineAsync($"{VersusSystems.Title(peer)} ready");
    }

    private async Task StartDistSyncAsync(VersusOptions options, string run, TextWriter progress, CancellationToken cancellationToken)
    {
        IReadOnlyList<Uri> urls;
        if (options.Urls is { } given)
        {
            urls = given;
            _versions[VersusSystems.DistSync] = $"this checkout; the running cluster at {string.Join(", ", urls)}";
        }
        else
        {
            var cluster = await ManagedCluster.StartAsync(3, Path.Combine(RunDir, "logs", "apphost.log"), progress, cancellationToken);
            _started.Add(cluster);
            urls = cluster.Urls;
            _versions[VersusSystems.DistSync] = "this checkout; 3 nodes started by the tool through the AppHost (dashboard on)";
        }

        var client = new ClusterClient(urls, options.Levels.Max() + 8);
        _started.Add(new Disposer(() => { client.Dispose(); return ValueTask.CompletedTask; }));
        var nodes = Cluster.Targets.Select(await Cluster.Targets.DiscoverAsync(client, TimeSpan.FromSeconds(30)), Cluster.Targets.All);
        foreach (var driver in options.Drivers)
        {
            if (driver == Drivers.Client)
            {
                DistSyncClient app = AppClients.Create(urls);
                _started.Add(app);
                _targets.Add(new DistSyncClientTarget(app, run));
            }
            else
            {
                _targets.Add(new DistSyncHttpTarget(client, nodes, run));
            }
        }

        await progress.WriteLineAsync($"DistSync ready: {string.Join(", ", nodes)}");
    }

    /// <summary>A clean-up step as an <see cref="IAsyncDisposable"/>.</summary>
    private sealed class Disposer(Func<ValueTask> dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => dispose();
    }
}
