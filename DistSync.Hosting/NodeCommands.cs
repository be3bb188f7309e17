using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace DistSync.Hosting;

/// <summary>
/// What a node's menu in the dashboard offers beyond Aspire's Start/Stop/Restart: faults to watch Raft react to
/// (Kill, Pause, Resume) and a planned hand-over (Transfer leadership here). <c>aspire resource node1 kill</c>
/// runs the same commands from a terminal, and tests run them through <c>ResourceCommandService</c>.
/// </summary>
public static class NodeCommands
{
    public const string Kill = "kill";
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string TransferLeadership = "transfer-leadership";

    /// <summary>Snapshot property set while the node's process is stopped by <see cref="Pause"/>: the pid it paused.</summary>
    public const string PausedProperty = "distsync.paused_pid";

    internal static IResourceBuilder<T> WithNodeCommands<T>(this IResourceBuilder<T> node)
        where T : IResourceWithEndpoints
    {
        node.WithCommand(Kill, "Kill (SIGKILL)", context => KillAsync(node.Resource, context), new CommandOptions
        {
            Description = "SIGKILL the node's process: a crash with no goodbye. It is restarted with backoff unless DistSync:RestartOnCrash is false.",
            IconName = "DismissCircle",
            IsHighlighted = true,
            UpdateState = c => IsRunning(c.ResourceSnapshot) ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
        node.WithCommand(Pause, "Pause (SIGSTOP)", context => PauseAsync(node.Resource, context), new CommandOptions
        {
            Description = "SIGSTOP the node: it stops answering without closing a connection, as in a long GC pause or a frozen VM.",
            IconName = "Pause",
            UpdateState = c => IsRunning(c.ResourceSnapshot) && PausedPid(c.ResourceSnapshot) is null ? ResourceCommandState.Enabled : ResourceCommandState.Hidden,
        });
        node.WithCommand(Resume, "Resume (SIGCONT)", context => ResumeAsync(node.Resource, context), new CommandOptions
        {
            Description = "SIGCONT a paused node.",
            IconName = "Play",
            UpdateState = c => PausedPid(c.ResourceSnapshot) is not null ? ResourceCommandState.Enabled : ResourceCommandState.Hidden,
        });
        node.WithCommand(TransferLeadership, "Transfer leadership here", context => TransferAsync(node.Resource, context), new CommandOptions
        {
            Description = "Ask the current leader to hand leadership to this node (Raft §3.10).",
            IconName = "Crown",
            UpdateState = c => IsRunning(c.ResourceSnapshot) && RaftStatePublisher.RoleOf(c.ResourceSnapshot) is not "leader"
                ? ResourceCommandState.Enabled
                : ResourceCommandState.Disabled,
        });
        return node;
    }

    private static async Task<ExecuteCommandResult> KillAsync(IResourceWithEndpoints node, ExecuteCommandContext context)
    {
        if (Processes(node, context) is not { } processes)
        {
            return CommandResults.Failure($"{node.Name} has no running process.");
        }

        // The node first, then its launcher, so nothing is left orphaned.
        NodeProcess.Signal([.. processes.Node, processes.Launcher], NodeProcess.SigKill);
        await context.Services.GetRequiredService<ResourceNotificationService>()
            .PublishUpdateAsync(node, s => s with { Properties = s.Properties.RemoveAll(p => p.Name == PausedProperty) });
        return CommandResults.Success($"{node.Name} killed (pid {string.Join(", ", processes.Node)}).");
    }

    private static async Task<ExecuteCommandResult> PauseAsync(IResourceWithEndpoints node, ExecuteCommandContext context)
    {
        if (Processes(node, context) is not { Node.Count: > 0 } processes)
        {
            return CommandResults.Failure($"{node.Name} has no running process.");
        }

        // Only the node: its launcher stays responsive, so Aspire's own Stop still works on a paused node.
        NodeProcess.Signal(processes.Node, NodeProcess.SigStop);
        await context.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(node, s => s with
        {
            Properties = [.. s.Properties.RemoveAll(p => p.Name == PausedProperty), new ResourcePropertySnapshot(PausedProperty, processes.Node[0]) { DisplayName = "Paused (pid)", IsHighlighted = true }],
        });
        return CommandResults.Success($"{node.Name} paused (SIGSTOP to pid {string.Join(", ", processes.Node)}).");
    }

    private static async Task<ExecuteCommandResult> ResumeAsync(IResourceWithEndpoints node, ExecuteCommandContext context)
    {
        var resumed = Processes(node, context) is { Node.Count: > 0 } processes && NodeProcess.Signal(processes.Node, NodeProcess.SigCont);
        await context.Services.GetRequiredService<ResourceNotificationService>()
            .PublishUpdateAsync(node, s => s with { Properties = s.Properties.RemoveAll(p => p.Name == PausedProperty) });
        return resumed ? CommandResults.Success($"{node.Name} resumed.") : CommandResults.Failure($"{node.Name} has no process to resume.");
    }

    private static async Task<ExecuteCommandResult> TransferAsync(IResourceWithEndpoints node, ExecuteCommandContext context)
    {
        var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(RaftStatePublisher.HttpClientName);
        var status = await http.GetFromJsonAsync<JsonElement>($"{node.GetEndpoint(DistSyncNodes.EndpointName).Url}/raft/status", context.CancellationToken);
        var leader = status.GetProperty("leader_id").GetString();
        if (leader is null)
        {
            return CommandResults.Failure($"{node.Name} knows no leader right now (an election is under way): try again in a moment.");
        }

        if (leader == node.Name)
        {
            return CommandResults.Success($"{node.Name} already leads.");
        }

        var model = context.Services.GetRequiredService<DistributedApplicationModel>();
        if (model.Resources.OfType<IResourceWithEndpoints>().FirstOrDefault(r => r.Name == leader && r.HasAnnotationOfType<DistSyncNodeAnnotation>()) is not { } leaderResource)
        {
            return CommandResults.Failure($"The leader '{leader}' is not a resource of this AppHost.");
        }

        using var response = await http.PostAsJsonAsync($"{leaderResource.GetEndpoint(DistSyncNodes.EndpointName).Url}/raft/transfer-leadership",
            new { target = node.Name }, context.CancellationToken);
        return response.IsSuccessStatusCode
            ? CommandResults.Success($"{leader} is handing leadership to {node.Name}.")
            : CommandResults.Failure($"{leader} refused the transfer: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(context.CancellationToken)}");
    }

    private static (int Launcher, IReadOnlyList<int> Node)? Processes(IResource node, ExecuteCommandContext context)
    {
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        if (!notifications.TryGetCurrentState(node.Name, out var current) || NodeProcess.LauncherPid(current.Snapshot) is not { } launcher)
        {
            return null;
        }

        // A project runs below DCP's "dotnet run", the node tool below "dotnet tool run"; a node binary started directly is the launcher itself.
        var below = NodeProcess.Descendants(launcher);
        return (launcher, below.Count > 0 ? below : [launcher]);
    }

    private static bool IsRunning(CustomResourceSnapshot snapshot) => snapshot.State?.Text == KnownResourceStates.Running;

    internal static object? PausedPid(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == PausedProperty)?.Value;
}
