using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistSync.Hosting;

/// <summary>
/// Puts every running node's Raft role, term and leader into its resource state, so the dashboard shows who leads:
/// as highlighted properties, and in the text of the node's "cluster view" URL (the one resource-grid column that
/// may carry text of ours without touching the state Aspire's health and wait logic read). Polled twice a second,
/// published when something changed or the snapshot lost the label.
/// </summary>
internal sealed partial class RaftStatePublisher(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    IHttpClientFactory httpClients,
    ILogger<RaftStatePublisher> logger) : BackgroundService
{
    public const string HttpClientName = "distsync-apphost";
    public const string ClusterPath = "/cluster";
    public const string ClusterLabel = "cluster view";
    public const string RoleProperty = "raft.role";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    // Written from every node's refresh at once (they run together): a concurrent dictionary.
    private readonly ConcurrentDictionary<string, RaftState> _published = new(StringComparer.Ordinal);

    /// <summary>The cluster view's URL, with or without the reader token in its fragment.</summary>
    public static bool IsClusterUrl(string url) =>
        url.EndsWith(ClusterPath, StringComparison.Ordinal) || url.Contains(ClusterPath + "#", StringComparison.Ordinal);

    public static string? RoleOf(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == RoleProperty)?.Value as string;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nodes = model.Resources.OfType<IResourceWithEndpoints>().Where(r => r.HasAnnotationOfType<DistSyncNodeAnnotation>()).ToList();
        var http = httpClients.CreateClient(HttpClientName);
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await Task.WhenAll(nodes.Select(node => RefreshAsync(http, node, stoppingToken)));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private async Task RefreshAsync(HttpClient http, IResourceWithEndpoints node, CancellationToken cancellationToken)
    {
        if (!notifications.TryGetCurrentState(node.Name, out var current) || current.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            _published.TryRemove(node.Name, out _);
            return;
        }

        var state = await ReadAsync(http, node, cancellationToken);
        var label = $"{ClusterLabel} · {state.Label}";
        // Unchanged, and the snapshot still shows it: nothing to do. A snapshot rebuilt meanwhile (its URLs made again
        // from the endpoints, or not there yet when the state was first published) gets the label again.
        if (_published.TryGetValue(node.Name, out var last) && last == state && Shows(current.Snapshot, label))
        {
            return;
        }

        if (last is not null && last.Role != state.Role)
        {
            Log.RoleChanged(logger, node.Name, state.Role, state.Term, state.Leader ?? "none");
        }

        _published[node.Name] = state;
        foreach (var url in node.Annotations.OfType<ResourceUrlAnnotation>().Where(u => IsClusterUrl(u.Url)))
        {
            url.DisplayText = label; // kept by the snapshots DCP builds from the annotations later
        }

        await notifications.PublishUpdateAsync(node, s => s with
        {
            Properties = SetRaftProperties(s.Properties, state),
            Urls = [.. s.Urls.Select(u => IsClusterUrl(u.Url)
                ? u with { DisplayProperties = (u.DisplayProperties ?? new UrlDisplayPropertiesSnapshot()) with { DisplayName = label } }
                : u)],
        });
    }

    /// <summary>Whether the snapshot's cluster-view URL carries the label (a snapshot without that URL yet shows nothing to fix).</summary>
    private static bool Shows(CustomResourceSnapshot snapshot, string label) =>
        snapshot.Urls.Where(u => IsClusterUrl(u.Url)).All(u => u.DisplayProperties?.DisplayName == label);

    private static async Task<RaftState> ReadAsync(HttpClient http, IResourceWithEndpoints node, CancellationToken cancellationToken)
    {
        try
        {
            var status = await http.GetFromJsonAsync<JsonElement>($"{node.GetEndpoint(DistSyncNodes.EndpointName).Url}/raft/status", cancellationToken);
            return new RaftState(
                status.GetProperty("role").GetString() ?? "?",
                status.GetProperty("term").GetInt64(),
                status.GetProperty("leader_id").GetString(),
                status.GetProperty("commit_index").GetInt64());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException && !cancellationToken.IsCancellationRequested)
        {
            // Paused, starting, or overloaded: say so rather than show a role it may no longer have.
            return new RaftState("unresponsive", 0, null, 0);
        }
    }

    private static ImmutableArray<ResourcePropertySnapshot> SetRaftProperties(ImmutableArray<ResourcePropertySnapshot> properties, RaftState state)
    {
        ResourcePropertySnapshot[] raft =
        [
            new(RoleProperty, state.Role) { DisplayName = "Raft role", IsHighlighted = true },
            new("raft.term", state.Term) { DisplayName = "Raft term", IsHighlighted = true },
            new("raft.leader", state.Leader ?? "") { DisplayName = "Raft leader", IsHighlighted = true },
            new("raft.commit_index", state.CommitIndex) { DisplayName = "Raft commit index" },
        ];
        return [.. properties.Where(p => !p.Name.StartsWith("raft.", StringComparison.Ordinal)), .. raft];
    }

    private sealed record RaftState(string Role, long Term, string? Leader, long CommitIndex)
    {
        public string Label => Role == "unresponsive" ? "unresponsive" : $"{Role}, term {Term}";

        // The commit index moves with every write; it is published with the rest, not on its own.
        public bool Equals(RaftState? other) => other is not null && Role == other.Role && Term == other.Term && Leader == other.Leader;

        public override int GetHashCode() => HashCode.Combine(Role, Term, Leader);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "{Node} is now {Role} (term {Term}, leader {Leader})")]
        public static partial void RoleChanged(ILogger logger, string node, string role, long term, string leader);
    }
}
