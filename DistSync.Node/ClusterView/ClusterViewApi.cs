using System.Net.Http.Json;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.ClusterView;

/// <summary>
/// <c>/cluster</c>: the page the Aspire dashboard cannot show, served by every node so it works wherever nodes run
/// (no AppHost in Azure): each node's Raft view and each feature's state, refreshed live. <c>/cluster/state</c> is
/// its data, gathered by this node from its own state and its peers' <c>/raft/status</c>.
/// </summary>
public static class ClusterViewApi
{
    public const string HttpClientName = "cluster-view";

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(ClusterViewApi).Assembly.GetManifestResourceStream("DistSync.Node.ClusterView.cluster.html")
            ?? throw new InvalidOperationException("The cluster page is not embedded in the node assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static IEndpointRouteBuilder MapClusterViewApi(this IEndpointRouteBuilder app)
    {
        var cluster = app.MapGroup("/cluster").WithTags("Cluster").AddEndpointFilter(new TargetFilter(null));
        cluster.MapGet("", () => TypedResults.Bytes(Page.Value, "text/html; charset=utf-8"))
            .WithName("GetClusterPage")
            // The page itself holds nothing: it asks for a reader token, and its data comes from /cluster/state.
            .AllowAnonymous()
            .WithSummary("The live cluster view: every node's Raft role, term and indexes, the lock table and the wait-for graph.");
        cluster.MapGet("/state", GetStateAsync).RequireRole(Role.Reader)
            .WithName("GetClusterState")
            .WithSummary("What the cluster view shows, as JSON: every node's Raft status (as this node reaches it) and each feature's state here.");
        return app;
    }

    public static async Task<Ok<ClusterStateResponse>> GetStateAsync(
        RaftHost raft, PeerDirectory peers, PeerCredentials credentials, IHttpClientFactory httpClients, IEnumerable<IClusterViewSection> sections, TimeProvider time, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        var self = raft.Status is { } status ? ClusterNodeView.From(RaftStatusResponse.From(status, raft.Role)) : ClusterNodeView.Unreachable(raft.NodeId, "the Raft log is still loading");
        var others = peers.PeerIds.Select(id => PeerAsync(http, credentials, id, peers.AddressOf(id), cancellationToken));
        var nodes = (await Task.WhenAll(others)).Append(self).OrderBy(n => n.NodeId, StringComparer.Ordinal).ToList();
        var described = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            described[section.Name] = await section.DescribeAsync(cancellationToken);
        }

        return TypedResults.Ok(new ClusterStateResponse(raft.NodeId, time.GetUtcNow(), nodes, described));
    }

    private static async Task<ClusterNodeView> PeerAsync(HttpClient http, PeerCredentials credentials, string id, Uri address, CancellationToken cancellationToken)
    {
        try
        {
            // The peer's own status route for peers: the public one needs a client token, which nodes do not hold.
            using var request = PeerHttp.Request(HttpMethod.Get, new Uri(address, RaftApi.PeerStatusPath), credentials);
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return ClusterNodeView.Unreachable(id, $"HTTP {(int)response.StatusCode}");
            }

            var status = await response.Content.ReadFromJsonAsync<RaftStatusResponse>(NodeJson.Options, cancellationToken);
            return status is null ? ClusterNodeView.Unreachable(id, "empty answer") : ClusterNodeView.From(status);
        }
        catch (Exception ex) when ((PeerHttp.IsUnreachable(ex) || ex is System.Text.Json.JsonException) && !cancellationToken.IsCancellationRequested)
        {
            return ClusterNodeView.Unreachable(id, ex is TaskCanceledException ? "no answer within 1 s" : ex.Message);
        }
    }
}

public sealed record ClusterStateResponse(string ServedBy, DateTimeOffset At, IReadOnlyList<ClusterNodeView> Nodes, IReadOnlyDictionary<string, object?> Sections);

public sealed record ClusterNodeView(string NodeId, bool Reachable, string? Role, long Term, string? LeaderId, long CommitIndex, long LastApplied, long SnapshotIndex, string? Error)
{
    public static ClusterNodeView From(RaftStatusResponse s) => new(s.NodeId, true, s.Role, s.Term, s.LeaderId, s.CommitIndex, s.LastApplied, s.SnapshotIndex, null);

    public static ClusterNodeView Unreachable(string id, string why) => new(id, false, null, 0, null, 0, 0, 0, why);
}
