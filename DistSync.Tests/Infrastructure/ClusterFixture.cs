using DistSync.AppHost.Hosting;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A real cluster for tests, in the shape of Aspire's testing builder: declared by the AppHost's own
/// <see cref="ClusterTopology"/>, started by its own orchestrator (Redis + node processes on free
/// loopback ports, a temp data folder), waited on until healthy, disposed with every process.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private readonly int _nodes;
    private readonly bool _restartOnCrash;
    private readonly IReadOnlyDictionary<string, string> _nodeEnvironment;
    private readonly RedisServerKind? _redisServer;
    private readonly bool _dashboard;
    private AppHostSession? _session;

    public ClusterFixture()
        : this(nodes: 3)
    {
    }

    public ClusterFixture(int nodes, bool restartOnCrash = false, IReadOnlyDictionary<string, string>? nodeEnvironment = null, RedisServerKind? redisServer = null, bool dashboard = false)
    {
        _dashboard = dashboard;
        _redisServer = redisServer;
        _nodes = nodes;
        _restartOnCrash = restartOnCrash;
        _nodeEnvironment = nodeEnvironment ?? new Dictionary<string, string>();
        DataDir = Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));
    }

    public string DataDir { get; }

    public AppHostSession Session => _session ?? throw new InvalidOperationException("The cluster has not started.");

    public DistributedApplication App => Session.App;

    public IReadOnlyList<string> NodeNames => [.. App.Resources.OfType<NodeResource>().Select(n => n.Name)];

    public HttpClient CreateHttpClient(string resource) => App.CreateHttpClient(resource);

    public static async Task<ClusterFixture> StartAsync(int nodes, bool restartOnCrash = false, IReadOnlyDictionary<string, string>? nodeEnvironment = null, RedisServerKind? redisServer = null, bool dashboard = false)
    {
        var fixture = new ClusterFixture(nodes, restartOnCrash, nodeEnvironment, redisServer, dashboard);
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

    public async ValueTask InitializeAsync()
    {
        var options = new AppHostOptions
        {
            Nodes = _nodes,
            BasePort = 0,
            DataDir = DataDir,
            RestartOnCrash = _restartOnCrash,
            EchoConsole = false,
            StartupTimeout = TimeSpan.FromSeconds(60),
            NodeEnvironment = _nodeEnvironment,
            RedisServer = _redisServer,
            Dashboard = _dashboard,
            DashboardPort = 0,
            OtlpGrpcPort = 0,
            OtlpHttpPort = 0,
        };
        _session = await AppHostSession.StartAsync(options, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeAsync();
        }

        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }
}
