using DistSync.Node.Cluster;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DistSync.Node.Cache;

/// <summary><c>/internal/cache/*</c>: the coherence messages between nodes (cluster key required).</summary>
public static class CacheInternalApi
{
    public static IEndpointRouteBuilder MapCacheInternalApi(this IEndpointRouteBuilder app)
    {
        var cache = app.MapGroup("/internal/cache").ExcludeFromDescription().AddEndpointFilter<ClusterKeyFilter>();
        cache.MapPost("/home", HomeAsync);
        cache.MapPost("/revoke", RevokeAsync);
        cache.MapGet("/line", Line);
        return app;
    }

    public static async Task<Ok<HomeReply>> HomeAsync(HomeRequest request, CacheHome home, CancellationToken cancellationToken) =>
        TypedResults.Ok(await home.HandleAsync(request, cancellationToken));

    public static async Task<Ok<RevokeReply>> RevokeAsync(RevokeRequest request, CacheNode node, CancellationToken cancellationToken) =>
        TypedResults.Ok(await node.RevokeAsync(request, cancellationToken));

    public static Ok<NodeLineReply> Line([FromQuery] string key, CacheNode node, CacheHome home) =>
        TypedResults.Ok(new NodeLineReply(node.Describe(key), home.Describe(key) is { } e ? new CacheDirectoryView(e.Owner, e.SharersLeaseLeftMs) : null));
}
