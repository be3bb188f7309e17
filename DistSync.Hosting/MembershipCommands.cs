using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistSync.Hosting;

/// <summary>
/// Membership changes from the dashboard: <b>Add node</b> on the cluster starts the next spare node and makes it a voter
/// (a learner first, promoted once its log has caught up); on each node, <b>Remove node</b> takes it out of the
/// configuration and stops it, and <b>Replace (wipe and rejoin)</b> removes it, deletes its data folder, starts it again
/// and adds it back, for a node whose disk was lost. <c>aspire resource distsync add-node</c> runs the same from a terminal.
/// </summary>
public static class MembershipCommands
{
    public const string AddNode = "add-node";
    public const string RemoveNode = "remove-node";
    public const string ReplaceNode = "replace-node";

    internal static IResourceBuilder<DistSyncResource> WithAddNodeCommand(this IResourceBuilder<DistSyncResource> cluster, string dataDir)
    {
        cluster.WithCommand(AddNode, "Add node", context => RunAsync(context, cluster.Resource, dataDir, async (driver, ct) =>
        {
            if (cluster.Resource.Spares.FirstOrDefault(n => !driver.IsRunning(n)) is not { } spare)
            {
                return CommandResults.Failure($"No spare node left to start: all {cluster.Resource.Spares.Count} run (start the AppHost with --spare-nodes N, or a larger --nodes).");
            }

            // A spare that was a member once and was removed holds a log that no longer fits: it joins as a new node.
            if (driver.HoldsState(spare) && (await driver.MembersAsync(null, ct))?.Any(m => m.Id == spare.Name) != true)
            {
                driver.Wipe(spare);
            }

            await driver.StartAsync(spare, ct);
            return CommandResults.Success(await driver.AddAsync(spare, ct));
        }), new CommandOptions
        {
            Description = "Start the next spare node and add it to the cluster: a learner first, promoted to voter once its log has caught up.",
            IconName = "AddCircle",
            UpdateState = c => c.ResourceSnapshot.State?.Text == KnownResourceStates.Running && cluster.Resource.Spares.Count > 0
                ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
        return cluster;
    }

    internal static IResourceBuilder<T> WithMembershipCommands<T>(this IResourceBuilder<T> node, DistSyncResource cluster, string dataDir)
        where T : IResourceWithEndpoints
    {
        node.WithCommand(RemoveNode, "Remove node", context => RunAsync(context, cluster, dataDir, async (driver, ct) =>
        {
            var removed = await driver.RemoveAsync(node.Resource.Name, ct);
            await driver.StopAsync(node.Resource, ct);
            return CommandResults.Success($"{removed} It is stopped; its data folder is kept. Add node (a spare) or Replace brings a node back.");
        }), new CommandOptions
        {
            Description = "Remove this node from the cluster's configuration (a leader hands over first), then stop it.",
            IconName = "SubtractCircle",
            ConfirmationMessage = "Remove this node from the cluster? Its votes stop counting, and it is stopped.",
            UpdateState = c => c.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
        node.WithCommand(ReplaceNode, "Replace (wipe and rejoin)", context => RunAsync(context, cluster, dataDir, async (driver, ct) =>
        {
            await driver.RemoveAsync(node.Resource.Name, ct);
            await driver.StopAsync(node.Resource, ct);
            driver.Wipe(node.Resource);
            await driver.StartAsync(node.Resource, ct);
            return CommandResults.Success($"{node.Resource.Name} replaced: {await driver.AddAsync(node.Resource, ct)}");
        }), new CommandOptions
        {
            Description = "For a node whose data was lost: remove it from the cluster, delete its data folder, start it again and add it back as a new member.",
            IconName = "ArrowSync",
            ConfirmationMessage = "Delete this node's data folder and rejoin it as a new member?",
        });
        return node;
    }

    private static async Task<ExecuteCommandResult> RunAsync(ExecuteCommandContext context, DistSyncResource cluster, string dataDir,
        Func<MembershipDriver, CancellationToken, Task<ExecuteCommandResult>> run)
    {
        var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(cluster);
        try
        {
            return await run(new MembershipDriver(cluster, dataDir, context.Services, logger), context.CancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException)
        {
            logger.LogWarning("{Message}", ex.Message);
            return CommandResults.Failure(ex.Message);
        }
    }
}
