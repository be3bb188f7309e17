using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Http;

/// <summary>The problem responses the feature APIs share: each names the field and the rule it broke.</summary>
public static class Problems
{
    public static ProblemHttpResult InvalidField(string field, string rule) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid request",
            detail: $"Field '{field}' {rule}.",
            extensions: new Dictionary<string, object?> { ["field"] = field, ["rule"] = rule });

    /// <summary>Redis failed or timed out under the request: retry; a write may have run before the connection dropped.</summary>
    public static bool IsRedisFailure(Exception ex) => ex is StackExchange.Redis.RedisException or TimeoutException;

    public static ProblemHttpResult RedisUnavailable(Exception ex) =>
        TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Redis unavailable", detail: ex.Message,
            extensions: new Dictionary<string, object?> { ["retryable"] = true, ["may_have_been_applied"] = true });
}
