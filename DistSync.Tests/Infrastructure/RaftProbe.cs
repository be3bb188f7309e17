using System.Net.Http.Json;
using System.Text.Json;

namespace DistSync.Tests.Infrastructure;

/// <summary>What <c>GET /raft/status</c> says, as the tests read it.</summary>
public sealed record RaftView(string NodeId, string Role, long Term, string? LeaderId, long CommitIndex, long LastApplied, long LastIndex);

/// <summary>Reads the cluster's Raft state over HTTP and waits for conditions on it.</summary>
public static class RaftProbe
{
    public static async Task<RaftView?> StatusAsync(ClusterFixture cluster, string node)
    {
        if (!cluster.IsRunning(node))
        {
            return null;
        }

        using var http = cluster.CreateHttpClient(node);
        return await StatusAsync(http.BaseAddress!);
    }

    /// <summary>The status of the node at <paramref name="node"/>, or null when it does not answer within 2 s.</summary>
    public static async Task<RaftView?> StatusAsync(Uri node)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(2) };
            // Every cluster a test starts, through a fixture or the load-test tool, has this admin token.
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DistSync.LoadTests.Cli.ApiToken.ForStartedCluster());
            var json = await http.GetFromJsonAsync<JsonElement>("/raft/status", TestContext.Current.CancellationToken);
            return new RaftView(
                json.GetProperty("node_id").GetString()!,
                json.GetProperty("role").GetString()!,
                json.GetProperty("term").GetInt64(),
                json.GetProperty("leader_id").GetString(),
                json.GetProperty("commit_index").GetInt64(),
                json.GetProperty("last_applied").GetInt64(),
                json.GetProperty("log").GetProperty("last_index").GetInt64());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public static async Task<IReadOnlyList<RaftView>> StatusesAsync(ClusterFixture cluster, IEnumerable<string> nodes)
    {
        var views = await Task.WhenAll(nodes.Select(n => StatusAsync(cluster, n)));
        return [.. views.OfType<RaftView>()];
    }

    /// <summary>Waits until every named node is up, they agree on one leader and one term, and that leader says it leads.</summary>
    public static Task<RaftView> AgreedLeaderAsync(ClusterFixture cluster, IReadOnlyList<string> nodes, TimeSpan timeout) =>
        Eventually.UntilAsync(async () =>
        {
            var views = await StatusesAsync(cluster, nodes);
            if (views.Count != nodes.Count || views.Select(v => (v.Term, v.LeaderId)).Distinct().Count() != 1 || views[0].LeaderId is null)
            {
                return null;
            }

            return views.SingleOrDefault(v => v.Role == "leader" && v.NodeId == v.LeaderId);
        }, timeout, $"one leader agreed by {string.Join(", ", nodes)}");
}
