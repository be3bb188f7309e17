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

}
