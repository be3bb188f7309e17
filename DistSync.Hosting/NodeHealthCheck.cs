using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Hosting;

/// <summary>
/// Healthy when the node's <c>GET /health</c> answers 2xx (it checks Redis and the node's own start-up). Registered once per
/// node name and finding the node's resource at each check, since the <c>With…</c> calls may re-create the nodes.
/// </summary>
internal sealed class NodeHealthCheck(DistSyncResource cluster, string node, IHttpClientFactory httpClients) : IHealthCheck
{
    /// <summary>Registers the check for <paramref name="node"/> (once per name: a name registered twice stops every check) and returns its key.</summary>
    public static string Register(IDistributedApplicationBuilder builder, DistSyncResource cluster, DistSyncSetupAnnotation setup, string node)
    {
        var key = $"{cluster.Name}-{node}-health";
        if (setup.RegisteredHealthChecks.Add(key))
        {
            builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key,
                sp => new NodeHealthCheck(cluster, node, sp.GetRequiredService<IHttpClientFactory>()), failureStatus: HealthStatus.Unhealthy, tags: null));
        }

        return key;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (cluster.AllNodes.FirstOrDefault(n => n.Name == node) is not { } resource)
        {
            return HealthCheckResult.Unhealthy($"{node} is not a node of {cluster.Name}.");
        }

        try
        {
            var http = httpClients.CreateClient(RaftStatePublisher.HttpClientName);
            using var response = await http.GetAsync(new Uri($"{resource.GetEndpoint(DistSyncNodes.EndpointName).Url}/health"), cancellationToken);
            return response.IsSuccessStatusCode ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"/health answered {(int)response.StatusCode}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
