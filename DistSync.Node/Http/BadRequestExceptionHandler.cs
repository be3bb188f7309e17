using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace DistSync.Node.Http;

/// <summary>
/// Turns a request the framework could not bind (malformed JSON, a string where a number belongs, an
/// empty body) into a 400 problem that names the field, instead of an empty 400 or a 500.
/// </summary>
public sealed partial class BadRequestExceptionHandler(ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var json = FindJsonException(badRequest);
        var field = json?.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
        var detail = json is null
            ? badRequest.Message
            : field is null ? $"The request body is not valid JSON: {json.Message}" : $"Field '{field}' is invalid: {json.Message}";
        LogBadRequest(logger, httpContext.Request.Path, detail);

        httpContext.Response.StatusCode = badRequest.StatusCode;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = badRequest.StatusCode,
            // A body over its route's limit keeps the status's own title, as the status-code pages give it when the framework answers.
            Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? null : "Bad request",
            Detail = detail,
        };
        if (field is not null)
        {
            problem.Extensions["field"] = field;
            problem.Extensions["rule"] = "must be a JSON value of the documented type (see /openapi/v1.json)";
        }

        // Written whatever the client's Accept says: the problem-details service writes nothing for Accept: text/html.
        await TypedResults.Problem(problem).ExecuteAsync(httpContext);
        return true;
    }

    private static JsonException? FindJsonException(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                return json;
            }
        }

        return null;
    }

    [LoggerMessage(1003, LogLevel.Warning, "Rejected bad request to {Path}: {Detail}")]
    private static partial void LogBadRequest(ILogger logger, string path, string detail);
}
