using System.Collections.Immutable;
using System.Globalization;

namespace DistSync.Hosting;

/// <summary>
/// The <see cref="DistSyncResource"/>'s state, made from its nodes' snapshots: Running (green when every node runs,
/// amber when some do not) while any node runs, Starting before, Exited once every node has ended (Finished when
/// all were stopped on purpose); and, as properties, how many nodes run and who leads in which term.
/// </summary>
internal static class ClusterState
{
    public const string NodesProperty = "distsync.nodes";
    public const string LeaderProperty = "raft.leader";
    public const string TermProperty = "raft.term";

    public static ResourceStateSnapshot StateOf(IReadOnlyList<CustomResourceSnapshot?> nodes)
    {
        var running = nodes.Count(IsRunning);
        if (running > 0)
        {
            return new(KnownResourceStates.Running, running == nodes.Count ? KnownResourceStateStyles.Success : KnownResourceStateStyles.Warn);
        }

        if (nodes.Count > 0 && nodes.All(n => KnownResourceStates.TerminalStates.Contains(n?.State?.Text)))
        {
            return nodes.All(n => n!.ExitCode == 0)
                ? new(KnownResourceStates.Finished, KnownResourceStateStyles.Info)
                : new(KnownResourceStates.Exited, KnownResourceStateStyles.Error);
        }

        return new(KnownResourceStates.Starting, KnownResourceStateStyles.Info);
    }

    /// <summary>The properties of <paramref name="current"/>, with the cluster's own set anew.</summary>
    public static ImmutableArray<ResourcePropertySnapshot> PropertiesOf(ImmutableArray<ResourcePropertySnapshot> current, IReadOnlyList<CustomResourceSnapshot?> nodes)
    {
        // The leader as the node in the highest term sees it: a node cut off keeps an old term and an old leader.
        var view = nodes.Where(IsRunning)
            .Select(n => (Term: Number(n!, TermProperty), Leader: Text(n!, LeaderProperty)))
            .Where(v => !string.IsNullOrEmpty(v.Leader))
            .OrderByDescending(v => v.Term)
            .FirstOrDefault();
        ResourcePropertySnapshot[] cluster =
        [
            new(NodesProperty, string.Create(CultureInfo.InvariantCulture, $"{nodes.Count(IsRunning)} of {nodes.Count} running")) { DisplayName = "Nodes", IsHighlighted = true },
            new(LeaderProperty, view.Leader ?? "") { DisplayName = "Raft leader", IsHighlighted = true },
            new(TermProperty, view.Term) { DisplayName = "Raft term", IsHighlighted = true },
        ];
        return [.. current.Where(p => cluster.All(c => c.Name != p.Name)), .. cluster];
    }

    private static bool IsRunning(CustomResourceSnapshot? node) => node?.State?.Text == KnownResourceStates.Running;

    private static string? Text(CustomResourceSnapshot node, string name) =>
        node.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString();

    private static long Number(CustomResourceSnapshot node, string name) =>
        long.TryParse(Text(node, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
