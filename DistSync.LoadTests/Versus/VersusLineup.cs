using DistSync.Client;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// The systems of one <c>vs</c> run, started (or, for DistSync with <c>--urls</c>, found) and their targets made: the
/// peers a chosen workload needs as local processes in the run's folder, DistSync as a 3-node cluster through the
/// AppHost with the dashboard on, on one Redis setup at a time (<see cref="SwitchDistSyncAsync"/> stops it and starts
/// the next). Disposing stops what it started and deletes the run's folder.
/// </summary>
public sealed class VersusLineup : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _started = [];
    private readonly List<IAsyncDisposable> _distSyncStarted = [];
    private readonly List<IVersusTarget> _peerTargets = [];
    private readonly List<IVersusTarget> _distSyncTargets = [];
    private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);
    private readonly VersusOptions _options;
    private readonly string _run;

    private VersusLineup(string runDir, VersusOptions options, string run)
    {
        RunDir = runDir;
        _options = options;
        _run = run;
    }

    /// <summary>One side of the comparison as the tables name it, where it runs and what its acknowledgement promises.</summary>
    public sealed record Side(string Label, string Version, string Durability);

    /// <summary>The run's temp folder: <c>data/</c> (deleted with each system) and <c>logs/</c>.</summary>
    public string RunDir { get; }

    /// <summary>Peers first, then the running DistSync cluster's drivers in the order asked.</summary>
    public IReadOnlyList<IVersusTarget> Targets => [.. _peerTargets, .. _distSyncTargets];

    /// <summary>The Redis setup DistSync runs on now (null before it starts, or when it is not measured).</summary>
    public string? RedisSetup { get; private set; }

    /// <summary>The peers started, then DistSync on every setup of the run (those still to come included).</summary>
    public IReadOnlyList<Side> Sides
    {
        get
        {
            var namesSetups = _options.RedisSetups.Any(s => s != DistSyncRedis.Single);
            return [.. _versions.Select(v => new Side(VersusSystems.Title(v.Key), v.Value, VersusSystems.Durability(v.Key))),
                .. _options.Systems.Contains(VersusSystems.DistSync)
                    ? _options.RedisSetups.Select(s => new Side(
                        namesSetups ? $"{VersusSystems.Title(VersusSystems.DistSync)} [{s}]" : VersusSystems.Title(VersusSystems.DistSync),
                        DistSyncVersion(s), VersusSystems.Durability(VersusSystems.DistSync, s)))
                    : []];
        }
    }

    /// <summary>Keep the logs after the run (something failed: they are where to look).</summary>
    public bool KeepLogs { get; set; }

    public static async Task<VersusLineup> StartAsync(VersusOptions options, string run, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var lineup = new VersusLineup(Path.Combine(Path.GetTempPath(), "distsync-vs", run), options, run);
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
                await lineup.StartDistSyncAsync(options.RedisSetups[0], progress, cancellationToken);
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

    /// <summary>Stops the running DistSync cluster, then starts one on <paramref name="setup"/>: on 2 cores, never two at once.</summary>
    public async Task SwitchDistSyncAsync(string setup, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        await progress.WriteLineAsync($"stopping DistSync on {DistSyncRedis.Title(RedisSetup ?? setup)} ...");
        await StopDistSyncAsync();
        await StartDistSyncAsync(setup, progress, cancellationToken);
    }

    /// <summary>Stops everything, the last started first; deletes the run's folder unless <see cref="KeepLogs"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopDistSyncAsync();
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
                _peerTargets.Add(etcdTarget);
                break;
            case VersusSystems.Nats:
                var nats = await NatsCluster.StartAsync(RunDir, progress, cancellationToken);
                _started.Add(nats);
                _versions[peer] = nats.Version;
                var natsTarget = await NatsTarget.CreateAsync(nats, run, cancellationToken);
                _started.Add(natsTarget);
                _peerTargets.Add(natsTarget);
                break;
            case VersusSystems.Redis:
                var redis = await RedisProcess.StartAsync(RunDir, progress, cancellationToken);
                _started.Add(redis);
                _versions[peer] = redis.Version;
                var redisTarget = await RedisTarget.CreateAsync(redis, run);
                _started.Add(redisTarget);
                _peerTargets.Add(redisTarget);
                break;
            default:
                throw new ArgumentException($"unknown peer '{peer}'.", nameof(peer));
        }

        await progress.WriteLineAsync($"{VersusSystems.Title(peer)} ready");
    }

    private async Task StartDistSyncAsync(string setup, TextWriter progress, CancellationToken cancellationToken)
    {
        RedisSetup = setup;
        IReadOnlyList<Uri> urls;
        if (_options.Urls is { } given)
        {
            urls = given;
        }
        else
        {
            await progress.WriteLineAsync($"starting DistSync on {DistSyncRedis.Title(setup)} ({DistSyncRedis.Durability(setup)}) ...");
            var cluster = await ManagedCluster.StartAsync(3, Path.Combine(RunDir, "logs", $"apphost-{setup}.log"), progress, cancellationToken,
                _ => DistSyncRedis.AppHostArguments(setup));
            _distSyncStarted.Add(cluster);
            urls = cluster.Urls;
        }

        var client = new ClusterClient(urls, _options.Levels.Max() + 8);
        _distSyncStarted.Add(new Disposer(() => { client.Dispose(); return ValueTask.CompletedTask; }));
        var nodes = Cluster.Targets.Select(await Cluster.Targets.DiscoverAsync(client, TimeSpan.FromSeconds(30)), Cluster.Targets.All);
        foreach (var driver in _options.Drivers)
        {
            if (driver == Drivers.Client)
            {
                DistSyncClient app = AppClients.Create(urls);
                _distSyncStarted.Add(app);
                _distSyncTargets.Add(new DistSyncClientTarget(app, _run));
            }
            else
            {
                _distSyncTargets.Add(new DistSyncHttpTarget(client, nodes, _run));
            }
        }

        await progress.WriteLineAsync($"DistSync ready: {string.Join(", ", nodes)}");
    }

    private async Task StopDistSyncAsync()
    {
        _distSyncTargets.Clear();
        for (var i = _distSyncStarted.Count - 1; i >= 0; i--)
        {
            await _distSyncStarted[i].DisposeAsync();
        }

        _distSyncStarted.Clear();
    }

    private string DistSyncVersion(string setup) => _options.Urls is { } urls
        ? $"this checkout; the running cluster at {string.Join(", ", urls)}"
        : $"this checkout; 3 nodes started by the tool through the AppHost (dashboard on){(DistSyncRedis.AppHostArguments(setup) is { Count: > 0 } args ? $", {string.Join(' ', args)}" : "")}";

    /// <summary>A clean-up step as an <see cref="IAsyncDisposable"/>.</summary>
    private sealed class Disposer(Func<ValueTask> dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => dispose();
    }
}
