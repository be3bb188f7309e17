using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistSync.Hosting;

/// <summary>
/// At start, once the cluster has a leader, makes its members match what the AppHost declares: a declared node that is
/// no member (<c>--nodes 5</c> on a 3-node data folder) is added and promoted, one at a time; a spare that is a member
/// (added earlier with Add node) is started; a member the AppHost no longer declares (a smaller <c>--nodes</c>, no spares
/// left) is removed, and the log says so.
/// </summary>
internal sealed class MembershipReconciler(DistributedApplicationModel model, IServiceProvider services, string dataDir, ILogger<MembershipReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (model.Resources.OfType<DistSyncResource>().FirstOrDefault() is not { } cluster)
        {
            return;
        }

        try
        {
            var notifications = services.GetRequiredService<ResourceNotificationService>();
            await notifications.WaitForResourceHealthyAsync(cluster.Name, WaitBehavior.WaitOnResourceUnavailable, stoppingToken);
            var resourceLogger = services.GetRequiredService<ResourceLoggerService>().GetLogger(cluster);
            var driver = new MembershipDriver(cluster, dataDir, services, resourceLogger);
            if (await driver.MembersAsync(null, stoppingToken) is not { } members)
            {
                return;
            }

            var declared = cluster.AllNodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var node in cluster.Nodes.Where(n => members.All(m => m.Id != n.Name)))
            {
                logger.LogInformation("{Node} is declared but not a member of the cluster: adding it (a learner until caught up, then a voter)", node.Name);
                await driver.AddAsync(node, stoppingToken);
            }

            foreach (var spare in cluster.Spares.Where(s => members.Any(m => m.Id == s.Name) && !driver.IsRunning(s)))
            {
                logger.LogInformation("Spare {Node} is a member of the cluster (added earlier): starting it", spare.Name);
                await driver.StartAsync(spare, stoppingToken);
            }

            foreach (var member in members.Where(m => !declared.Contains(m.Id)))
            {
                logger.LogWarning("{Node} is a {Role} of the cluster, but this AppHost declares only {Declared}: removing it (its data folder is kept)",
                    member.Id, member.Role, string.Join(", ", declared.Order(StringComparer.Ordinal)));
                await driver.RemoveAsync(member.Id, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The app is stopping.
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            logger.LogWarning("Could not bring the cluster's members in line with the AppHost: {Reason}", ex.Message);
        }
    }
}
