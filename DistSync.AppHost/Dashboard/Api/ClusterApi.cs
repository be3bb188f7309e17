using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DistSync.AppHost.Dashboard.Api;

/// <summary>Raft view of every node (from the catalog) and a node's lock table (fetched from the node).</summary>
internal static class ClusterApi
{
    public const string HttpClientName = "DistSync.Dashboard.Nodes";

    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/cluster");
        api.MapGet("/", GetNodes).WithName("GetCluster").WithSummary("Every node with its Raft role, term and commit index.");
        api.MapGet("/{name}/locks", GetLocksAsync).WithName("GetClusterLocks").WithSummary("A node's GET /locks/state, or available=false.");
        return app;
    }

    private static Ok<IReadOnlyList<ResourceSnapshot>> GetNodes(IResourceCatalog catalog) =>
        TypedResults.Ok<IReadOnlyList<ResourceSnapshot>>([.. catalog.GetResources().Where(r => r.Type == "node")]);

    private static async Task<Results<Ok<LocksView>, NotFound<ProblemDetails>>> GetLocksAsync(
        string name, IResourceCatalog catalog, IHttpClientFactory clients, CancellationToken ct)
    {
        var node = catalog.GetResources().FirstOrDefault(r => r.Name == name);
        if (node is null)
        {
            return TypedResults.NotFound(ResourcesApi.Problem(StatusCodes.Status404NotFound, $"No resource is named '{name}'."));
        }

        var endpoint = node.Endpoints.FirstOrDefault(e => e.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || e.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (endpoint is null)
        {
            return TypedResults.Ok(new LocksView(name, false, "The node has no HTTP endpoint.", null));
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var client = clients.CreateClient(HttpClientName);
            using var response = await client.GetAsync(new Uri(new Uri(endpoint), "/locks/state"), timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return TypedResults.Ok(new LocksView(name, false, "not available (the node answered 404)", null));
            }

            if (!response.IsSuccessStatusCode)
            {
                return TypedResults.Ok(new LocksView(name, false, $"the node answered {(int)response.StatusCode}", null));
            }

            var state = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            return TypedResults.Ok(new LocksView(name, true, null, state));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return TypedResults.Ok(new LocksView(name, false, $"unreachable: {ex.Message}", null));
        }
    }
}
