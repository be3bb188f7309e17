using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Hosting;

/// <summary>Healthy once the server answers AUTH + PING with +PONG (the nodes wait for this before they start).</summary>
internal sealed class RedisPingHealthCheck(RedisServerResource redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var password = await redis.Password.GetValueAsync(cancellationToken) ?? "";
            var answer = await RedisProbe.AskAsync(redis.PrimaryEndpoint.Port, password, ["PING"], cancellationToken);
            return answer == "PONG" ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"Unexpected answer: {answer}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
