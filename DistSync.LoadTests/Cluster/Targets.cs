namespace DistSync.LoadTests.Cluster;

/// <summary>Which node URLs the clients of a benchmark talk to, and how clients are spread over them.</summary>
public static class Targets
{
    public const string Leader = "leader";
    public const string Followers = "followers";
    public const string All = "all";

    /// <summary>
    /// The leader (as the highest-term view reports it), its followers, or every node, in the order
    /// given; throws when no node reports a leader that is among the reachable nodes.
    /// </summary>
    public static IReadOnlyList<Uri> Select(IReadOnlyList<NodeView> nodes, string via)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (via == All)
        {
            return nodes.Count > 0 ? [.. nodes.Select(n => n.Url)] : throw new InvalidOperationException("No node answered GET /raft/status.");
        }

        var leaderId = nodes.Where(n => n.LeaderId is not null).OrderByDescending(n => n.Term).Select(n => n.LeaderId).FirstOrDefault();
        var leader = nodes.FirstOrDefault(n => n.NodeId == leaderId)
            ?? throw new InvalidOperationException($"No leader among the reachable nodes ({string.Join(", ", nodes.Select(n => $"{n.NodeId}@{n.Url}"))}); leader_id is '{leaderId}'.");
        return via switch
        {
            Leader => [leader.Url],
            Followers => nodes.Count > 1 ? [.. nodes.Where(n => n != leader).Select(n => n.Url)] : throw new InvalidOperationException("--via followers needs at least one reachable follower."),
            _ => throw new ArgumentException($"Unknown target selection '{via}'.", nameof(via)),
        };
    }

    /// <summary>Client <paramref name="client"/> talks to target <c>client mod count</c>: round-robin.</summary>
    public static Uri For(IReadOnlyList<Uri> targets, int client)
    {
        ArgumentNullException.ThrowIfNull(targets);
        return targets[client % targets.Count];
    }

    /// <summary>
    /// Which of <paramref name="count"/> targets serves a client's <paramref name="round"/>-th operation when every
    /// client walks all targets in turn, starting at its own (<see cref="For"/>): one client's figure then mixes
    /// leader and followers in a fixed proportion instead of depending on where the leader happens to be.
    /// </summary>
    public static int Rotating(int count, int client, long round) => (int)((client + round) % count);

    /// <summary>Waits (bounded) for a leader to be known, e.g. right after the cluster starts.</summary>
    public static async Task<IReadOnlyList<NodeView>> DiscoverAsync(ClusterClient client, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var nodes = await client.GetNodesAsync(CancellationToken.None);
            var leaderId = nodes.Where(n => n.LeaderId is not null).OrderByDescending(n => n.Term).Select(n => n.LeaderId).FirstOrDefault();
            if (nodes.Any(n => n.NodeId == leaderId) || DateTime.UtcNow >= until)
            {
                return nodes.Count > 0 ? nodes : throw new InvalidOperationException($"No node answered GET /raft/status at {string.Join(", ", client.Urls)}; is the cluster running?");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
