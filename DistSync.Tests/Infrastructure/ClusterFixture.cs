using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using DistSync.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A real cluster for tests: the AppHost's own app model started through Aspire.Hosting.Testing (Redis + node
/// processes under DCP, on free loopback ports, in a temp data folder), waited on until every node is healthy, and
/// disposed with every process. Faults go through the AppHost's own commands (Kill, Pause, Resume) or Aspire's.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    /// <summary>Start-up to healthy nodes (DCP runs each node through <c>dotnet run</c>): generous for a loaded 2-core CI machine.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(120);

    private readonly ClusterSettings _settings;
    private DistributedApplication? _app;

    public ClusterFixture()
        : this(new ClusterSettings())
    {
    }

    public ClusterFixture(int nodes)
        : this(new ClusterSettings { Nodes = nodes })
    {
    }

    public ClusterFixture(ClusterSettings settings)
    {
        _settings = settings;
        DataDir = settings.DataDir ?? Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));
    }

    public string DataDir { get; }

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The cluster has not started.");

    public IReadOnlyList<string> NodeNames => [.. Enumerable.Range(1, _settings.Nodes).Select(i => $"node{i}")];

    /// <summary>Where the Aspire dashboard listens, its telemetry API key and browser token; null when it is off.</summary>
    public DashboardAccess? Dashboard { get; private set; }

    /// <summary>
    /// This cluster's token per role. Reader and writer are fresh for each fixture; admin is the load-test tool's
    /// token for this process, so the tool's commands run in a test reach this cluster as they would a started one.
    /// </summary>
    public IReadOnlyDictionary<string, string> Tokens { get; } = NodeSecurity.Roles.ToDictionary(
        r => r, r => r == "admin" ? DistSync.LoadTests.Cli.ApiToken.ForStartedCluster() : Guid.NewGuid().ToString("n"), StringComparer.Ordinal);

    /// <summary>A client for the node's API carrying the token of <paramref name="role"/> (admin unless said; null for none).</summary>
    public HttpClient CreateHttpClient(string resource, string? role = "admin")
    {
        var http = App.CreateHttpClient(resource, DistSyncResource.NodeEndpointName);
        if (role is not null && !_settings.AuthOff)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens[role]);
        }

        return http;
    }

    /// <summary>A DistSync.Client client of this cluster (every node an endpoint) carrying the token of <paramref name="role"/>.</summary>
    public DistSync.Client.DistSyncClient CreateDistSyncClient(string role = "writer") => new(new DistSync.Client.DistSyncClientOptions
    {
        Endpoints = [.. NodeNames.Select(n => App.GetEndpoint(n, DistSyncResource.NodeEndpointName))],
        Token = _settings.AuthOff ? null : Tokens[role],
    });

    /// <summary>
    /// The nodes' URLs, comma-separated, once the cluster has settled: a leader agreed and every node in the queue's ring
    /// (a start-up on a busy machine can leave a node out of it for a moment, and its partitions move back when it rejoins).
    /// </summary>
    public async Task<string> SettledUrlsAsync()
    {
        await RaftProbe.AgreedLeaderAsync(this, NodeNames, StartupTimeout);
        await Eventually.UntilAsync(async () =>
        {
            using var http = CreateHttpClient(NodeNames[0]);
            var stats = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/queue/stats", TestContext.Current.CancellationToken);
            var members = stats.GetProperty("ring_members").EnumerateArray().Select(m => m.GetString());
            return NodeNames.All(members.Contains);
        }, StartupTimeout, "every node in the ring");
        return string.Join(',', NodeNames.Select(n => CreateHttpClient(n).BaseAddress!.ToString().TrimEnd('/')));
    }

    public static async Task<ClusterFixture> StartAsync(ClusterSettings settings)
    {
        var fixture = new ClusterFixture(settings);
        try
        {
            await fixture.InitializeAsync();
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    public static Task<ClusterFixture> StartAsync(int nodes) => StartAsync(new ClusterSettings { Nodes = nodes });

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        List<string> args =
        [
            $"--DistSync:Nodes={_settings.Nodes}",
            $"--DistSync:SpareNodes={_settings.SpareNodes}",
            "--DistSync:BasePort=0",
            $"--DistSync:DataDir={DataDir}",
            $"--DistSync:RestartOnCrash={_settings.RestartOnCrash}",
            $"--DistSync:Redis={_settings.Redis}",
            .. _settings.NodeEnvironment.Select(e => $"--DistSync:NodeEnvironment:{e.Key}={e.Value}"),
            .. _settings.NodeEnvironmentOf.SelectMany(n => n.Value.Select(e => $"--DistSync:NodeEnvironmentOf:{n.Key}:{e.Key}={e.Value}")),
            .. Tokens.Select(t => $"--Parameters:{NodeSecurity.TokenParameter(t.Key)}={t.Value}"),
            $"--DistSync:AuthOff={_settings.AuthOff}",
            $"--DistSync:Sample={_settings.Sample}",
        ];
        if (_settings.Restore is not null)
        {
            args.Add($"--DistSync:Restore={_settings.Restore}");
        }

        if (_settings.ClusterId is not null)
        {
            args.Add($"--Parameters:cluster-id={_settings.ClusterId}");
        }
        if (_settings.Dashboard)
        {
            Dashboard = new DashboardAccess(FreePort(), FreePort(), FreePort(), FreePort(), Guid.NewGuid().ToString("n"), Guid.NewGuid().ToString("n"));
            args.AddRange(Dashboard.Arguments());
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DistSync_AppHost>(
            [.. args], (options, _) => options.DisableDashboard = !_settings.Dashboard, ct);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Aspire.Hosting.Dcp", LogLevel.Error));
        _settings.Configure?.Invoke(builder);
        _app = await builder.BuildAsync(ct).WaitAsync(StartupTimeout, ct);
        await _app.StartAsync(ct).WaitAsync(StartupTimeout, ct);
        // Fail fast: a node that exits during start-up ends the wait at once instead of at the timeout.
        await Task.WhenAll(NodeNames.Select(n => _app.ResourceNotifications.WaitForResourceHealthyAsync(n, WaitBehavior.StopOnResourceUnavailable, ct)))
            .WaitAsync(StartupTimeout, ct);
    }

    /// <summary>The resource's current snapshot state (<c>Running</c>, <c>Finished</c>, …), or null before it has one.</summary>
    public string? StateOf(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var current) ? current.Snapshot.State?.Text : null;

    public bool IsRunning(string resource) => StateOf(resource) == KnownResourceStates.Running;

    /// <summary>The node's own process (below DCP's <c>dotnet run</c>), or null when it has none.</summary>
    public int? NodePid(string node) =>
        App.ResourceNotifications.TryGetCurrentState(node, out var current) && NodeProcess.LauncherPid(current.Snapshot) is { } launcher
            ? NodeProcess.Descendants(launcher).Cast<int?>().FirstOrDefault()
            : null;

    /// <summary>Runs a resource command and fails the test if it does not succeed.</summary>
    public async Task CommandAsync(string resource, string command)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, command, TestContext.Current.CancellationToken);
        Assert.True(result.Success, $"{command} on {resource} failed: {result.Message}");
    }

    /// <summary>SIGKILL the node (the AppHost's Kill command) and wait until Aspire sees it gone.</summary>
    public async Task KillAsync(string node)
    {
        await CommandAsync(node, NodeCommands.Kill);
        await WaitForStateAsync(node, KnownResourceStates.TerminalStates.Contains, "stopped");
    }

    /// <summary>Start a stopped resource (Aspire's Start command) and wait until it is healthy again.</summary>
    public async Task StartAsync(string resource)
    {
        await CommandAsync(resource, KnownResourceCommands.StartCommand);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, TestContext.Current.CancellationToken)
            .WaitAsync(StartupTimeout, TestContext.Current.CancellationToken);
    }

    /// <summary>Stop a resource the way Aspire's Stop does (SIGTERM, a clean exit) and wait until it has stopped.</summary>
    public async Task StopAsync(string resource)
    {
        await CommandAsync(resource, KnownResourceCommands.StopCommand);
        await WaitForStateAsync(resource, s => s is "Exited" or "Finished", "stopped");
    }

    public async Task<ResourceEvent> WaitForStateAsync(string resource, Func<string?, bool> state, string what)
    {
        try
        {
            return await App.ResourceNotifications.WaitForResourceAsync(resource, e => state(e.Snapshot.State?.Text), TestContext.Current.CancellationToken)
                .WaitAsync(StartupTimeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{resource} not {what} within {StartupTimeout.TotalSeconds:F0} s (state {StateOf(resource)}).", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_settings.DataDir is null && Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>From the AppHost's own allocator (this process runs it): a port it never hands to a node or Redis too.</summary>
    private static int FreePort() => FreePorts.Take();
}

/// <summary>What cluster a test needs; the defaults are <c>dotnet run</c>'s, except that crashed nodes stay down.</summary>
public sealed record ClusterSettings
{
    public int Nodes { get; init; } = 3;

    /// <summary>Spare nodes for the Add node command (none unless a test adds nodes: each is a resource to watch).</summary>
    public int SpareNodes { get; init; }

    public bool RestartOnCrash { get; init; }

    public string Redis { get; init; } = "auto";

    /// <summary>Run the real Aspire dashboard, and have the nodes export telemetry to it.</summary>
    public bool Dashboard { get; init; }

    /// <summary>Start the AppHost's sample app too (off unless a test is about it: its orders and locks would be in every test's cluster).</summary>
    public bool Sample { get; init; }

    public IReadOnlyDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra environment for one node (keyed by node, then variable), e.g. a skewed wall clock.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> NodeEnvironmentOf { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Nodes without client tokens (the AppHost's --no-auth).</summary>
    public bool AuthOff { get; init; }

    /// <summary>The cluster's id instead of the AppHost's generated one.</summary>
    public string? ClusterId { get; init; }

    /// <summary>A backup every node restores at its first start (the AppHost's <c>--restore</c>).</summary>
    public string? Restore { get; init; }

    /// <summary>The data folder instead of a fresh temporary one (to start a cluster on a folder another left).</summary>
    public string? DataDir { get; init; }

    /// <summary>Changes to the AppHost's app model before it is built, e.g. an app that references the cluster.</summary>
    public Action<IDistributedApplicationTestingBuilder>? Configure { get; init; }
}

/// <summary>How a test reaches the Aspire dashboard it started.</summary>
public sealed record DashboardAccess(int UiPort, int OtlpGrpcPort, int OtlpHttpPort, int ResourceServicePort, string ApiKey, string BrowserToken)
{
    public Uri Url => new($"http://127.0.0.1:{UiPort}");

    public Uri LoginUrl => new(Url, $"/login?t={BrowserToken}");

    public IEnumerable<string> Arguments() =>
    [
        $"--ASPNETCORE_URLS={Url}",
        string.Create(CultureInfo.InvariantCulture, $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{OtlpGrpcPort}"),
        string.Create(CultureInfo.InvariantCulture, $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{OtlpHttpPort}"),
        string.Create(CultureInfo.InvariantCulture, $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{ResourceServicePort}"),
        $"--AppHost:DashboardApiKey={ApiKey}",
        $"--ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN={BrowserToken}",
        // The testing builder randomizes proxied ports; the dashboard's must stay where this test looks for it.
        "--DcpPublisher:RandomizePorts=false",
    ];
}
