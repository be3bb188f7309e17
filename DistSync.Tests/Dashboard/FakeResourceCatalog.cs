using DistSync.AppHost.Dashboard;

namespace DistSync.Tests.Dashboard;

/// <summary>An in-memory catalog: two nodes and Redis, records the commands it receives.</summary>
internal sealed class FakeResourceCatalog : IResourceCatalog
{
    private readonly Lock _lock = new();
    private readonly List<ResourceSnapshot> _resources;
    private readonly List<ConsoleLine> _console = [];
    private readonly List<string> _commands = [];

    public FakeResourceCatalog(string? nodeEndpoint = null, string? node2Endpoint = null)
    {
        var started = new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
        var env = new Dictionary<string, string> { ["DistSync__NodeId"] = "node1", ["DistSync__ClusterKey"] = "****" };
        _resources =
        [
            new("redis", "redis", "Running", 4242, started, ["tcp://127.0.0.1:6379"], "Healthy", new Dictionary<string, string>(), 0, null, null),
            new("node1", "node", "Healthy", 4343, started, [nodeEndpoint ?? "http://127.0.0.1:8001"], "Healthy", env, 0, null,
                new NodeRaftInfo("leader", 3, "node1", 17, 17)),
            new("node2", "node", "Healthy", 4444, started, [node2Endpoint ?? "http://127.0.0.1:8002"], "Healthy", env, 1, null,
                new NodeRaftInfo("follower", 3, "node1", 17, 16)),
        ];
    }

    public event Action? Changed;

    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_lock)
            {
                return [.. _commands];
            }
        }
    }

    public IReadOnlyList<ResourceSnapshot> GetResources()
    {
        lock (_lock)
        {
            return [.. _resources];
        }
    }

    public void WriteConsole(string resource, string text, bool isError = false)
    {
        lock (_lock)
        {
            _console.Add(new ConsoleLine(_console.Count + 1, resource, DateTimeOffset.UnixEpoch.AddSeconds(_console.Count), isError, text));
        }
    }

    public IReadOnlyList<ConsoleLine> GetConsole(string name, long afterSequence, int max)
    {
        lock (_lock)
        {
            Find(name);
            return [.. _console.Where(l => l.Resource == name && l.Sequence > afterSequence).Take(max)];
        }
    }

    public Task StopAsync(string name, CancellationToken ct) => Record("stop", name, "Stopped");

    public Task StartAsync(string name, CancellationToken ct) => Record("start", name, "Running");

    public Task RestartAsync(string name, CancellationToken ct) => Record("restart", name, "Running");

    private Task Record(string command, string name, string newState)
    {
        lock (_lock)
        {
            var index = Find(name);
            _commands.Add($"{command}:{name}");
            _resources[index] = _resources[index] with { State = newState, Restarts = _resources[index].Restarts + (command == "restart" ? 1 : 0) };
        }

        Changed?.Invoke();
        return Task.CompletedTask;
    }

    private int Find(string name)
    {
        var index = _resources.FindIndex(r => r.Name == name);
        return index >= 0 ? index : throw new KeyNotFoundException(name);
    }
}
