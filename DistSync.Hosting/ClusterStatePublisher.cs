using Aspire.Hosting.Eventing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistSync.Hosting;

/// <summary>
/// Keeps a <see cref="DistSyncResource"/>'s snapshot in step with its nodes (see <see cref="ClusterState"/>), since a
/// resource of ours has no process for Aspire to watch. Once it first runs, its connection string is published, so the
/// dashboard shows it, and Aspire's health checks (a leader) begin. Started when Aspire initializes the resource, not
/// as a hosted service: the AppHost's start waits for resources that wait for this one, and hosted services registered
/// after Aspire's start only after that.
/// </summary>
internal static class ClusterStatePublisher
{
    public static async Task RunAsync(DistSyncResource cluster, InitializeResourceEvent initialize)
    {
        var notifications = initialize.Notifications;
        var stopping = initialize.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var connectionStringPublished = false;
        try
        {
            await PublishAsync();
            await foreach (var change in notifications.WatchAsync(stopping))
            {
                if (cluster.Nodes.Contains(change.Resource))
                {
                    await PublishAsync();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }

        async Task PublishAsync()
        {
            var nodes = cluster.Nodes.Select(n => notifications.TryGetCurrentState(n.Name, out var e) ? e.Snapshot : null).ToList();
            var state = ClusterState.StateOf(nodes);
            await notifications.PublishUpdateAsync(cluster, s => s with
            {
                State = state,
                StartTimeStamp = state.Text == KnownResourceStates.Running ? s.StartTimeStamp ?? DateTime.UtcNow : s.StartTimeStamp,
                Properties = ClusterState.PropertiesOf(s.Properties, nodes),
            });

            if (state.Text == KnownResourceStates.Running && !connectionStringPublished)
            {
                connectionStringPublished = true;
                await initialize.Eventing.PublishAsync(new ConnectionStringAvailableEvent(cluster, initialize.Services), stopping);
            }
        }
    }
}
