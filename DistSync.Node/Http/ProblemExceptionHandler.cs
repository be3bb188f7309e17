using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Http;

/// <summary>
/// The one place where failures become problems: a handler on any route (locks, queue, cache, peers' internal calls)
/// lets an <see cref="UnavailableException"/>, a <see cref="LimitReachedException"/> or a Redis failure go, and it is
/// answered here, the same way everywhere. Anything else is a bug, left to the framework: a 500.
/// </summary>
public sealed class ProblemExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted || ToProblem(exception) is not { } problem)
        {
            return false;
        }

        await problem.ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>The problem for a failure the API answers itself, or null for a bug.</summary>
    public static ProblemHttpResult? ToProblem(Exception ex) => ex switch
    {
        UnavailableException unavailable => Problems.Unavailable(unavailable.Title, unavailable.Message, unavailable.MayHaveBeenApplied, unavailable.Details),
        LimitReachedException limit => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Limit reached", detail: limit.Message,
            extensions: limit.Limit is null ? null : new Dictionary<string, object?> { ["limit"] = limit.Limit, ["max"] = limit.Max }),
        // Redis failed or timed out under the request: a write may have run before the connection dropped.
        StackExchange.Redis.RedisException or TimeoutException => Problems.Unavailable("Redis unavailable", ex.Message, mayHaveBeenApplied: true, []),
        _ => null,
    };
}
