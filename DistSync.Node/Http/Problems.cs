using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Http;

/// <summary>The problem responses the APIs share: a field that broke its rule, and a service that cannot answer now.</summary>
public static class Problems
{
    public static ProblemHttpResult InvalidField(string field, string rule) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid request",
            detail: $"Field '{field}' {rule}.",
            extensions: new Dictionary<string, object?> { ["field"] = field, ["rule"] = rule });

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
