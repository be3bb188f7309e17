using System.Diagnostics;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Cache;

/// <summary>
/// <c>/cache/*</c>: the original system's paths and fields. Any node serves any key: a hit from its own memory, a
/// miss or a write through the key's home, linearizably per key.
/// </summary>
public static class CacheApi
{
    /// <summary>A key and a few fields; a set adds its value (at most <see cref="CacheValidator.MaxValueBytes"/>) to this.</summary>
    private const int SmallBody = 4096;

    public static IEndpointRouteBuilder MapCacheApi(this IEndpointRouteBuilder app)
    {
        var cache = app.MapGroup("/cache").WithTags("Cache").AddEndpointFilter(new TargetFilter("key"));
        cache.MapGet("/get", GetAsync).WithName("CacheGet").RequireRole(Role.Reader)
            .WithSummary("Read a key: a hit is served from this node's memory with no message; a miss asks the key's home and still returns the current value.");
        cache.MapPost("/set", SetAsync).WithName("CacheSet").RequireRole(Role.Writer).WithBodyLimit(CacheValidator.MaxValueBytes + SmallBody)
            .WithSummary("Write a key (any JSON value); returns once every other node's copy is invalidated. ?policy=write-back keeps an owner's writes in its memory for up to the write-back delay.");
        cache.MapPost("/delete", DeleteAsync).WithName("CacheDelete").RequireRole(Role.Writer).WithBodyLimit(SmallBody).WithSummary("Remove a key's value everywhere; returns once no node holds the old one.");
        cache.MapPost("/invalidate", InvalidateAsync).WithName("CacheInvalidate").RequireRole(Role.Writer).WithBodyLimit(SmallBody).WithSummary("Drop this node's copy of a key (a dirty one is written back first).");
        cache.MapGet("/lines", LinesAsync).WithName("CacheLines").RequireRole(Role.Reader).WithSummary("Every node's MESI state for a key, and what its home records.");
        return app;
    }

    public static async Task<Results<Ok<CacheGetResponse>, ProblemHttpResult>> GetAsync([FromQuery] string? key, CacheNode cache, CacheTelemetry telemetry, CancellationToken cancellationToken)
    {
        if (CacheValidator.Key(key) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        using var activity = telemetry.StartGet(key!);
        var read = await cache.GetAsync(key!, cancellationToken);
        telemetry.Got(activity, read.Hit, read.State, read.Version);
        return TypedResults.Ok(new CacheGetResponse(read.Hit ? "hit" : "miss", key!, read.Value is null ? null : new RawJson(read.Value), read.State.ToString(), read.Version,
            read.Value is not null && read.ExpiresAtUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(read.ExpiresAtUnixMs) : null, cache.NodeId));
    }

    public static async Task<Results<Ok<CacheSetResponse>, ProblemHttpResult>> SetAsync(CacheSetRequest request, [FromQuery] string? policy, CacheNode cache,
        CacheTelemetry telemetry, IOptions<CacheOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var policyError = CacheValidator.Policy(policy, options.Value.WritePolicy, out var chosen);
        if ((CacheValidator.Set(request.Key, request.Value, request.TtlSec) ?? policyError) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        using var activity = telemetry.StartSet(request.Key!, "set");
        var started = Stopwatch.GetTimestamp();
        var expiresAt = request.TtlSec is { } ttl ? time.GetUtcNow().ToUnixTimeMilliseconds() + (long)(ttl * 1000) : 0;
        var written = await cache.SetAsync(request.Key!, true, request.Value!.Value.Text, expiresAt, chosen, cancellationToken);
        telemetry.Set(activity, Stopwatch.GetElapsedTime(started), written.State, written.Version, written.Silent);
        return TypedResults.Ok(new CacheSetResponse("ok", request.Key!, written.State.ToString(), written.Version,
            chosen == CacheWritePolicy.WriteBack ? "write-back" : "write-through", written.Silent, cache.NodeId));
    }

    public static async Task<Results<Ok<CacheDeleteResponse>, ProblemHttpResult>> DeleteAsync(CacheKeyRequest request, CacheNode cache, CacheTelemetry telemetry, CancellationToken cancellationToken)
    {
        if (CacheValidator.Key(request.Key) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        using var activity = telemetry.StartSet(request.Key!, "delete");
        var started = Stopwatch.GetTimestamp();
        var written = await cache.SetAsync(request.Key!, false, null, 0, CacheWritePolicy.WriteThrough, cancellationToken);
        telemetry.Set(activity, Stopwatch.GetElapsedTime(started), written.State, written.Version, written.Silent);
        return TypedResults.Ok(new CacheDeleteResponse("deleted", request.Key!, written.Version, cache.NodeId));
    }

    public static async Task<Results<Ok<CacheInvalidateResponse>, ProblemHttpResult>> InvalidateAsync(CacheKeyRequest request, CacheNode cache, CancellationToken cancellationToken)
    {
        if (CacheValidator.Key(request.Key) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        var dropped = await cache.InvalidateLocalAsync(request.Key!, cancellationToken);
        return TypedResults.Ok(new CacheInvalidateResponse("ok", request.Key!, dropped.ToString(), cache.NodeId));
    }

    public static async Task<Results<Ok<CacheLinesResponse>, ProblemHttpResult>> LinesAsync([FromQuery] string? key, CacheNode cache, CacheHome home, ICacheRing ring,
        HttpCachePeers peers, PeerDirectory directory, CancellationToken cancellationToken)
    {
        if (CacheValidator.Key(key) is { } error)
        {
            return Problems.InvalidField(error.Field, error.Rule);
        }

        var membership = ring.Current;
        var homeId = CacheRing.HomeOf(membership, key!);
        // A frozen or partitioned node shows as unreachable rather than holding the page up.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        var replies = await Task.WhenAll(directory.AllIds.Select(async node =>
        {
            try
            {
                return (Node: node, Reply: node == cache.NodeId
                    ? new NodeLineReply(cache.Describe(key!), home.Describe(key!) is { } e ? new CacheDirectoryView(e.Owner, e.SharersLeaseLeftMs) : null)
                    : await peers.LineAsync(node, key!, timeout.Token));
            }
            catch (Exception ex) when (ex is CachePeerUnreachableException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (Node: node, Reply: (NodeLineReply?)null);
            }
        }));

        var lines = replies.Select(r => r.Reply?.Line is { } line
            ? new CacheLineView(r.Node, line.State.ToString(), line.Version, line.LeaseLeftMs, line.Dirty, true)
            : new CacheLineView(r.Node, "I", 0, 0, false, r.Reply is not null)).ToList();
        // The directory lives at the home.
        var entry = replies.FirstOrDefault(r => r.Node == homeId).Reply?.Directory;
        return TypedResults.Ok(new CacheLinesResponse(key!, homeId, membership.Epoch, lines, entry));
    }
}
