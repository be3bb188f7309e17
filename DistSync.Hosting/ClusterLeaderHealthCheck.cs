using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Hosting;

/// <summary>
/// The <see cref="DistSyncResource"/>'s health: healthy once a majority of the nodes name the same leader in their
/// <c>GET /health</c> (a leader without a majority behind it could not commit anything), so an app that
/// <c>WaitFor</c>s the cluster starts when its first write can succeed.
/// </summary>
internal sealed class ClusterLeaderHealthCheck(DistSyncResource cluster, IHttpClientFactory httpClients) : IHealthCheck
{
    public static string KeyOf(DistSyncResource cluster) => $"{cluster.Name}-leader";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var http = httpClients.CreateClient(RaftStatePublisher.HttpClientName);
        var answers = await Task.WhenAll(cluster.Nodes.Select(node => AskAsync(http, node, cancellationToken)));
        return Judge(answers, cluster.Nodes.Count);
    }

    /// <summary>Healthy when more than half of <paramref name="nodeCount"/> nodes name one leader; the description says who.</summary>
    public static HealthCheckResult Judge(IReadOnlyList<NodeHealthAnswer?> answers, int nodeCount)
    {
        var answered = answers.OfType<NodeHealthAnswer>().ToList();
        var leader = answered.Where(a => a.LeaderId is not null)
            .GroupBy(a => a.LeaderId!, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .FirstOrDefault();
        if (leader is not null && leader.Count() > nodeCount / 2)
        {
            var term = leader.Max(a => a.Term);
            return HealthCheckResult.Healthy($"{leader.Key} leads in term {term} ({leader.Count()} of {nodeCount} nodes agree).");
        }

        return HealthCheckResult.Unhealthy(leader is null
            ? $"No leader yet ({answered.Count} of {nodeCount} nodes answered)."
            : $"{leader.Key} is named leader by {leader.Count()} of {nodeCount} nodes, not a majority.");
    }

    private static async Task<NodeHealthAnswer?> AskAsync(HttpClient http, IResourceWithEndpoints node, CancellationToken cancellationToken)
    {
        try
        {
            // 503 still carries the node's Raft view (an unhealthy Redis does not unseat a leader), so read the body either way.
            using var response = await http.GetAsync(new Uri($"{node.GetEndpoint(DistSyncNodes.EndpointName).Url}/health"), cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            return new NodeHealthAnswer(
                body.GetProperty("node_id").GetString() ?? node.Name,
                body.GetProperty("role").GetString() ?? "?",
                body.GetProperty("term").GetInt64(),
                body.TryGetProperty("leader_id", out var leader) ? leader.GetString() : null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException
            && !cancellationToken.IsCancellationRequested)
        {
            // Not running yet, paused, or stopped: it names no leader.
            return null;
        }
    }
}

/// <summary>What one node's <c>/health</c> says of the cluster.</summary>
internal sealed record NodeHealthAnswer(string NodeId, string Role, long Term, string? LeaderId);
