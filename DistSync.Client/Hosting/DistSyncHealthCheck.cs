using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Client;

/// <summary>Healthy when a node answers that the cluster has a leader: locks and topics can then change.</summary>
internal sealed class DistSyncHealthCheck(DistSyncClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await client.IsHealthyAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, "No DistSync node answered with a leader.");
}
