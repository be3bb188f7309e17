using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Security;

/// <summary>A request that may hold its connection open waiting: a lock acquire with wait_ms, a consume with wait_sec.</summary>
public interface IBlockingRequest
{
    bool Blocks { get; }
}

/// <summary>
/// Caps how many blocking requests one token has waiting on this node at once, so one client cannot tie up every
/// connection and thread with waits. Over the cap is a 429 with <c>Retry-After</c>; the count drops as each ends.
/// </summary>
public sealed class BlockingWaits(IOptions<AuthOptions> options) : IEndpointFilter
{
    private readonly ConcurrentDictionary<string, int> _waiting = new(StringComparer.Ordinal);

    public int Limit { get; } = options.Value.MaxBlockingWaits;

    public int WaitingFor(string principal) => _waiting.TryGetValue(principal, out var n) ? n : 0;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (context.Arguments.OfType<IBlockingRequest>().FirstOrDefault() is not { Blocks: true }
            || Principals.NameOf(context.HttpContext.User) is not { } principal)
        {
            return await next(context);
        }

        if (_waiting.AddOrUpdate(principal, 1, (_, n) => n + 1) > Limit)
        {
            Leave(principal);
            await RateLimits.WriteTooManyAsync(context.HttpContext, TimeSpan.FromSeconds(1),
                $"This token already has {Limit} requests waiting on this node (DistSync:Auth:MaxBlockingWaits); wait for one to end, or use a shorter wait.");
            return Results.Empty;
        }

        try
        {
            return await next(context);
        }
        finally
        {
            Leave(principal);
        }
    }

    private void Leave(string principal) => _waiting.AddOrUpdate(principal, 0, (_, n) => n - 1);
}
