using System.Globalization;
using System.Runtime.InteropServices;

namespace DistSync.AppHost.Hosting;

/// <summary>
/// The running application: starts Redis, then the nodes, waits until each is healthy, watches them,
/// and stops every process it started when disposed — the same code for <c>dotnet run</c> and tests.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, ResourceRunner> _runners = new(StringComparer.Ordinal);
    private readonly HttpClient _probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly CancellationTokenSource _stopping = new();
    private Task _healthLoop = Task.CompletedTask;
    private int _disposed;

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        Options = builder.Options;
        DataDir = builder.DataDir;
        ClusterKey = builder.ClusterKey;
        foreach (var resource in builder.Resources.Where(r => r is not RedisResource { Kind: RedisServerKind.External }))
        {
            var runner = new ResourceRunner(resource, Options.RestartOnCrash, TimeProvider.System);
            _runners[resource.Name] = runner;
        }

        Resources = builder.Resources;
    }

    public AppHostOptions Options { get; }

    public string DataDir { get; }

    public string ClusterKey { get; }

    public IReadOnlyList<Resource> Resources { get; }

    public IReadOnlyCollection<ResourceRunner> Runners => _runners.Values;

    /// <summary>Raised when a resource's state changes or its process writes a line.</summary>
    public event Action<ResourceRunner>? ResourceChanged;

    public ResourceRunner GetRunner(string name) =>
        _runners.TryGetValue(name, out var runner) ? runner : throw new KeyNotFoundException($"No resource named '{name}'.");

    public Resource GetResource(string name) =>
        Resources.FirstOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"No resource named '{name}'.");

    /// <summary>An HttpClient whose base address is the resource's endpoint (Aspire testing's CreateHttpClient).</summary>
    public HttpClient CreateHttpClient(string name) => new() { BaseAddress = new Uri(GetResource(name).Endpoint) };

    /// <summary>Starts every resource and returns once all are healthy; throws if one cannot start.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && !RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            throw new AppHostException("The DistSync AppHost runs on Linux or macOS.");
        }

        PrepareDataDir();
        CheckPortsFree();
        if (Resources.OfType<RedisResource>().Any(r => r.Kind == RedisServerKind.Garnet))
        {
            await GarnetTool.RestoreAsync(cancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        timeout.CancelAfter(Options.StartupTimeout);
        foreach (var runner in _runners.Values)
        {
            runner.Changed += r => ResourceChanged?.Invoke(r);
            runner.Crashed += OnCrashed;
            if (Options.EchoConsole)
            {
                runner.Console.LineWritten += ConsoleEcho.Write;
            }
        }

        try
        {
            // Redis first: a node is ready only once it reaches Redis.
            await StartAndWaitAsync(_runners.Values.Where(r => r.Resource is RedisResource), timeout.Token);
            await StartAndWaitAsync(_runners.Values.Where(r => r.Resource is NodeResource), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var waiting = _runners.Values.Where(r => r.State != ResourceState.Healthy).Select(r => r.Resource.Name);
            throw new AppHostException($"Start-up took longer than {Options.StartupTimeout.TotalSeconds:F0} s; not healthy: {string.Join(", ", waiting)}.{LastLines(_runners.Values.Where(r => r.State != ResourceState.Healthy))}");
        }

        _healthLoop = WatchHealthAsync(_stopping.Token);
    }

    /// <summary>Waits for Ctrl+C or SIGTERM (the token), without throwing.</summary>
    public async Task WaitForShutdownAsync(CancellationToken shutdown)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, shutdown);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM.
        }
    }

    public Task StopResourceAsync(string name) => GetRunner(name).StopAsync(StopGrace);

    public Task KillResourceAsync(string name) => GetRunner(name).KillAsync();

    public async Task StartResourceAsync(string name, CancellationToken cancellationToken = default)
    {
        var runner = GetRunner(name);
        runner.Start();
        await WaitHealthyAsync(runner, cancellationToken);
    }

    public async Task RestartResourceAsync(string name, CancellationToken cancellationToken = default)
    {
        await StopResourceAsync(name);
        await StartResourceAsync(name, cancellationToken);
    }

    /// <summary>Waits until the resource answers its health probe (or throws if its process exits).</summary>
    public async Task WaitHealthyAsync(ResourceRunner runner, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (runner.State is ResourceState.Exited or ResourceState.FailedToStart or ResourceState.Stopped)
            {
                throw new AppHostException($"{runner.Resource.Name} exited with code {runner.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"} during start-up.{LastLines([runner])}");
            }

            var healthy = await runner.Resource.IsHealthyAsync(_probe, cancellationToken);
            runner.ReportHealth(healthy);
            if (healthy)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _healthLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Nodes before Redis, so nodes do not log a burst of Redis errors while stopping.
        await Task.WhenAll(_runners.Values.Where(r => r.Resource is NodeResource).Select(r => r.DisposeAsync().AsTask()));
        await Task.WhenAll(_runners.Values.Where(r => r.Resource is not NodeResource).Select(r => r.DisposeAsync().AsTask()));
        _probe.Dispose();
        _stopping.Dispose();
    }

    private async Task StartAndWaitAsync(IEnumerable<ResourceRunner> runners, CancellationToken cancellationToken)
    {
        var group = runners.ToList();
        foreach (var runner in group)
        {
            runner.Start();
        }

        await Task.WhenAll(group.Select(r => WaitHealthyAsync(r, cancellationToken)));
    }

    private async Task WatchHealthAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var runner in _runners.Values.Where(r => r.State is ResourceState.Starting or ResourceState.Healthy or ResourceState.Unhealthy))
                {
                    runner.ReportHealth(await runner.Resource.IsHealthyAsync(_probe, cancellationToken));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private void OnCrashed(ResourceRunner runner, int exitCode, TimeSpan? restartIn)
    {
        var then = restartIn is { } delay ? $"restarting in {delay.TotalSeconds:F0} s" : "not restarting (--no-restart)";
        ConsoleEcho.Notice($"{runner.Resource.Name} exited with code {exitCode}; {then}.");
    }

    private void PrepareDataDir()
    {
        if (Options.Clean && Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }

        foreach (var resource in Resources.Where(r => r.DataDir.Length > 0))
        {
            Directory.CreateDirectory(resource.DataDir);
        }
    }

    private void CheckPortsFree()
    {
        foreach (var runner in _runners.Values)
        {
            if (!PortAllocator.IsFree(runner.Resource.Port))
            {
                var hint = runner.Resource is NodeResource ? "--base-port" : "--redis-port";
                throw new AppHostException($"Port {runner.Resource.Port} ({runner.Resource.Name}) is already in use: stop what holds it (is another AppHost running?) or pick other ports with {hint}.");
            }
        }
    }

    private static string LastLines(IEnumerable<ResourceRunner> runners)
    {
        var text = string.Concat(runners.SelectMany(r => r.Console.Tail(15)).Select(l => $"{Environment.NewLine}  [{l.Resource}] {l.Text}"));
        return text.Length == 0 ? "" : $" Last output:{text}";
    }
}
