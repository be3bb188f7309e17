using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Cluster;

/// <summary>Admits a request to an <c>/internal</c> route only when it carries the cluster key.</summary>
public sealed class ClusterKeyFilter(IOptions<NodeOptions> options) : IEndpointFilter
{
    public const string HeaderName = "X-DistSync-Cluster-Key";

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.ClusterKey ?? "");

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_key.Length == 0)
        {
            return next(context);
        }

        var presented = context.HttpContext.Request.Headers[HeaderName].ToString();
        // Constant-time comparison: the key must not leak through response timing.
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key))
        {
            return ValueTask.FromResult<object?>(TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Cluster key required",
                detail: $"Internal routes need the {HeaderName} header with the cluster key (DistSync__ClusterKey)."));
        }

        return next(context);
    }
}
