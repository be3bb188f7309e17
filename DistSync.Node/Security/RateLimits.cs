using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace DistSync.Node.Security;

/// <summary>
/// ASP.NET Core's rate limiter, one token bucket per token per node (its grant's RequestsPerSecond, refilled every
/// second). A request over it is a 429 problem with <c>Retry-After</c>. Requests without a principal (health, peers'
/// <c>/internal</c> traffic, a 401 in the making) are not counted.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddTokenRateLimits(this IServiceCollection services) =>
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (Principals.NameOf(context.User) is not { } name)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }

                var rate = context.RequestServices.GetRequiredService<TokenTable>().RequestsPerSecondOf(name);
                return RateLimitPartition.GetTokenBucketLimiter(name, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = rate,
                    TokensPerPeriod = rate,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                await WriteTooManyAsync(context.HttpContext, retryAfter,
                    $"This token is over its rate on this node ({context.HttpContext.RequestServices.GetRequiredService<TokenTable>().RequestsPerSecondOf(Principals.NameOf(context.HttpContext.User) ?? "")} requests per second).");
            };
        });

    /// <summary>A 429 problem with the seconds to wait in <c>Retry-After</c> (at least one: the header counts whole seconds).</summary>
    public static async Task WriteTooManyAsync(HttpContext context, TimeSpan retryAfter, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = detail,
            Extensions = { ["retry_after_sec"] = seconds },
        }).ExecuteAsync(context);
    }
}
