using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Http;

/// <summary>
/// The one place where failures become problems: every feature's handlers run through <see cref="RunAsync"/>, so an
/// unavailable answer reads the same on every route (locks, queue, cache, peers' internal calls).
/// </summary>
public static class ProblemGuard
{
    public static async Task<TResult> RunAsync<TResult>(Func<Task<TResult>> call, Func<ProblemHttpResult, TResult> problem)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ToProblem(ex) is { } mapped)
        {
            return problem(mapped);
        }
    }

    /// <summary>The problem for a failure the API answers itself, or null for a bug (left to the framework: a 500).</summary>
    public static ProblemHttpResult? ToProblem(Exception ex) => ex switch
    {
        UnavailableException unavailable => Unavailable(unavailable.Title, unavailable.Message, unavailable.MayHaveBeenApplied, unavailable.Details),
        LimitReachedException limit => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Limit reached", detail: limit.Message,
            extensions: limit.Limit is null ? null : new Dictionary<string, object?> { ["limit"] = limit.Limit, ["max"] = limit.Max }),
        // Redis failed or timed out under the request: a write may have run before the connection dropped.
        StackExchange.Redis.RedisException or TimeoutException => Unavailable("Redis unavailable", ex.Message, mayHaveBeenApplied: true, []),
        _ => null,
    };

    /// <summary>
    /// 503 with <c>may_have_been_applied</c> always said: false with <c>retryable: true</c> when nothing was appended or
    /// sent; true (and no <c>retryable</c>) once it may have been.
    /// </summary>
    public static ProblemHttpResult Unavailable(string title, string detail, bool mayHaveBeenApplied, IEnumerable<KeyValuePair<string, object?>> details)
    {
        var extensions = new Dictionary<string, object?>(details) { ["may_have_been_applied"] = mayHaveBeenApplied };
        if (!mayHaveBeenApplied)
        {
            extensions["retryable"] = true;
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail, extensions: extensions);
    }
}
