
namespace DistSync.Node.Hosting;

/// <summary>Whether the cluster is being formed now or already exists (etcd's <c>--initial-cluster-state</c>).</summary>
public enum ClusterState
{
    New,
    Existing,
}

/// <summary>
/// The cluster id a node's data folder belongs to, kept in <c>cluster-id</c> beside the Raft log. Written at the first
/// start; at every later start it must match the configured id, and an empty folder in a cluster that already exists
/// is refused: a node that lost its log must not vote as if it still had it (it could elect a leader missing
/// committed entries, or vote twice in one term).
/// </summary>
public static class ClusterIdentity
{
    public const string FileName = "cluster-id";

    /// <summary>The id this node runs with (null when none is configured or stored), or throws <see cref="ClusterIdentityException"/>.</summary>
    public static string? Establish(string dataDir, string nodeId, string? configured, ClusterState state)
    {
        var file = Path.Combine(dataDir, FileName);
        if (File.Exists(file))
        {
            var stored = File.ReadAllText(file).Trim();
            if (configured is not null && !string.Equals(stored, configured, StringComparison.Ordinal))
            {
                throw new ClusterIdentityException(
                    $"{nodeId}'s data folder {dataDir} belongs to cluster {stored}, but this node is configured for cluster {configured} (DistSync:ClusterId). "
                    + "A data folder from another cluster would mix two clusters' logs, so the node does not start. "
                    + "Point DistSync__DataDir at this cluster's folder for the node, or, if this folder is right and the id changed, set DistSync__ClusterId="
                    + $"{stored}.");
            }

            return stored;
        }

        if (configured is null)
        {
            return null;
        }

        var holdsState = Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any();
        if (!holdsState && state == ClusterState.Existing)
        {
            throw new ClusterIdentityException(
                $"{nodeId}'s data folder {dataDir} is empty, but cluster {configured} already exists. A node that lost its Raft log must not vote or "
                + "acknowledge as if it still had it (that could elect a leader without committed entries), so it does not start. "
                + $"Restore {dataDir} from a backup of {nodeId}; or, if the cluster's data may go, start the whole cluster afresh "
                + "(dotnet run --project DistSync.AppHost -- --clean).");
        }

        // A folder with a log but no id predates cluster ids: it adopts the configured one.
        Directory.CreateDirectory(dataDir);
        var temp = file + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(configured + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, file, overwrite: true);
        DirectorySync.Flush(dataDir);
        return configured;
    }
}

/// <summary>The node cannot start with this data folder; the message says why and what to do.</summary>
public sealed class ClusterIdentityException(string message) : Exception(message);
