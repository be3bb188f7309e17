using Aspire.Hosting.Eventing;
using Microsoft.Extensions.Hosting;

namespace DistSync.Hosting;

/// <summary>
/// Keeps each <see cref="DistSyncResource"/>'s snapshot in step with its nodes (see <see cref="ClusterState"/>): a
/// resource of ours has no process for Aspire to watch. Once it first runs, its connection string is published, so the
/// dashboard shows it and Aspire's health checks (a leader) begin.
/// </summary>
internal sealed class ClusterStatePublisher(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    IDistributedApplicationEventing eventing,
    IServiceProvider services) : BackgroundService
{
    private readonly HashSet<string> _connectionStringPublished = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var clusters = model.Resources.OfType<DistSyncResource>().ToList();
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                foreach (var cluster in clusters.Where(c => c.Nodes.Contains(change.Resource)))
                {
                    await PublishAsync(cluster, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private async Task PublishAsync(DistSyncResource cluster, CancellationToken cancellationToken)
    {
        var nodes = cluster.Nodes.Select(n => notifications.TryGetCurrentState(n.Name, out var e) ? e.Snapshot : null).ToList();
        var state = ClusterState.StateOf(nodes);
        await notifications.PublishUpdateAsync(cluster, s => s with
        {
            State = state,
            StartTimeStamp = state.Text == KnownResourceStates.Running ? s.StartTimeStamp ?? DateTime.UtcNow : s.StartTimeStamp,
            Properties = ClusterState.PropertiesOf(s.Properties, nodes),
        });

        if (state.Text == KnownResourceStates.Running && _connectionStringPublished.Add(cluster.Name))
        {
            await eventing.PublishAsync(new ConnectionStringAvailableEvent(cluster, services), cancellationToken);
        }
    }
}
