using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.AppHost.Dashboard;

namespace DistSync.AppHost.Hosting;

/// <summary>
/// The dashboard's view of the orchestrator: resources with their process state, masked environment
/// and console, the Raft role of every node (polled from <c>GET /raft/status</c> each second), and the
/// Stop/Start/Restart commands.
/// </summary>
public sealed class ResourceCatalog : IResourceCatalog, IAsyncDisposable
{
    private const string Masked = "********";

    private readonly ConcurrentDictionary<string, NodeRaftInfo?> _raft = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) };
    private readonly CancellationTokenSource _stopping = new();
    private DistributedApplication? _app;
    private Task _poll = Task.CompletedTask;

    public event Action? Changed;

    private DistributedApplication App => _app ?? throw new InvalidOperationException("No application is attached yet.");

    /// <summary>Binds the catalog to the application (the dashboard starts first, so nodes can be told where to export).</summary>
    public void Attach(DistributedApplication app)
    {
        _app = app;
        app.ResourceChanged += _ => Changed?.Invoke();
        foreach (var runner in app.Runners)
        {
            runner.Console.LineWritten += _ => Changed?.Invoke();
        }

        _poll = PollRaftAsync(_stopping.Token);
    }

    public IReadOnlyList<ResourceSnapshot> GetResources()
    {
        if (_app is null)
        {
            return [];
        }

        return [.. App.Resources.Select(resource =>
        {
            var runner = App.Runners.FirstOrDefault(r => r.Resource == resource);
            var state = runner?.State.ToString() ?? "Running";
            return new ResourceSnapshot(
                resource.Name,
                resource.Type,
                state,
                runner?.Pid,
                runner?.StartedAt,
                [resource.Endpoint],
                runner?.State switch
                {
                    ResourceState.Healthy => "Healthy",
                    ResourceState.Unhealthy => "Unhealthy",
                    _ => null,
                },
                resource.Environment.OrderBy(e => e.Key, StringComparer.Ordinal)
                    .ToDictionary(e => e.Key, e => Resource.IsSecret(e.Key) ? Masked : e.Value),
                runner?.Restarts ?? 0,
                runner?.ExitCode,
                resource is NodeResource ? _raft.GetValueOrDefault(resource.Name) : null);
        })];
    }

    public Task StopAsync(string name, CancellationToken ct) => App.StopResourceAsync(name);

    public Task StartAsync(string name, CancellationToken ct) => App.StartResourceAsync(name, ct);

    public Task RestartAsync(string name, CancellationToken ct) => App.RestartResourceAsync(name, ct);

    public IReadOnlyList<Dashboard.ConsoleLine> GetConsole(string name, long afterSequence, int max) =>
        [.. App.GetRunner(name).Console.Read(afterSequence, max).Select(l => new Dashboard.ConsoleLine(l.Sequence, l.Resource, l.Time, l.IsError, l.Text))];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _poll.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _http.Dispose();
        _stopping.Dispose();
    }

    private async Task PollRaftAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var changed = false;
            foreach (var node in App.Resources.OfType<NodeResource>())
            {
                var info = await ReadRaftAsync(node, cancellationToken);
                var previous = _raft.GetValueOrDefault(node.Name);
                if (!Equals(previous, info))
                {
                    _raft[node.Name] = info;
                    changed = true;
                }
            }

            if (changed)
            {
                Changed?.Invoke();
            }
        }
    }

    private async Task<NodeRaftInfo?> ReadRaftAsync(NodeResource node, CancellationToken cancellationToken)
    {
        if (App.GetRunner(node.Name).State is not (ResourceState.Healthy or ResourceState.Unhealthy or ResourceState.Starting))
        {
            return null;
        }

        try
        {
            var status = await _http.GetFromJsonAsync<JsonElement>(new Uri($"{node.Endpoint}/raft/status"), cancellationToken);
            return new NodeRaftInfo(
                status.GetProperty("role").GetString() ?? "unknown",
                status.GetProperty("term").GetInt64(),
                status.GetProperty("leader_id").GetString(),
                status.GetProperty("commit_index").GetInt64(),
                status.GetProperty("last_applied").GetInt64());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
