using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace DistSync.Node.Security;

/// <summary>The largest body a route reads, in bytes: what its validator allows, plus room for the JSON around it.</summary>
public sealed record BodyLimit(long Bytes);

/// <summary>
/// A body over its route's <see cref="BodyLimit"/> is a 413 problem: at once when Content-Length says so, and for a
/// chunked body as soon as the reader passes the limit (Kestrel then throws, and the bad-request handler answers).
/// </summary>
public static class BodyLimits
{
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new BodyLimit(bytes));

    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>() is not { } limit)
            {
                await next(context);
                return;
            }

            if (context.Request.ContentLength > limit.Bytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await TypedResults.Problem(new ProblemDetails
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Detail = string.Create(CultureInfo.InvariantCulture,
                        $"This route takes a body of at most {limit.Bytes} bytes; this one is {context.Request.ContentLength}."),
                    Extensions = { ["limit_bytes"] = limit.Bytes },
                }).ExecuteAsync(context);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit.Bytes;
            }

            await next(context);
        });
}
