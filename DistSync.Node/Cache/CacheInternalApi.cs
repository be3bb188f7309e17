using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DistSync.Node.Cache;

/// <summary><c>/internal/cache/*</c>: the coherence messages between nodes (cluster key required).</summary>
public static class CacheInternalApi
{
    public static IEndpointRouteBuilder MapCacheInternalApi(this IEndpointRouteBuilder app)
    {
        var cache = app.MapGroup("/internal/cache").ExcludeFromDescription().AllowAnonymous();
        cache.MapPost("/home", HomeAsync);
        cache.MapPost("/revoke", RevokeAsync);
        cache.MapGet("/line", Line);
        return app;
    }

    // Neither takes the request's abort token: a home finishes a transition it began even if the asking node gave
    // up (its waits are bounded by leases), so no entry is left half changed.
    // A home whose Redis fails answers 503 (ProblemExceptionHandler), not 500: the asking node gives up at once instead
    // of retrying a home that cannot answer anyone until Redis is back.
    public static async Task<Ok<HomeReply>> HomeAsync(HomeRequest request, CacheHome home) =>
        TypedResults.Ok(await home.HandleAsync(request, CancellationToken.None));

    public static async Task<Ok<RevokeReply>> RevokeAsync(RevokeRequest request, CacheNode node) =>
        TypedResults.Ok(await node.RevokeAsync(request, CancellationToken.None));

    public static Ok<NodeLineReply> Line([FromQuery] string key, CacheNode node, CacheHome home) =>
        TypedResults.Ok(new NodeLineReply(node.Describe(key), home.Describe(key) is { } e ? new CacheDirectoryView(e.Owner, e.SharersLeaseLeftMs) : null));
}
