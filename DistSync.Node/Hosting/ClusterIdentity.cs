
namespace DistSync.Node.Hosting;

/// <summary>Whether the cluster is being formed now or already exists (etcd's <c>--initial-cluster-state</c>).</summary>
public enum ClusterState
{
    /// <summary>The cluster is being formed: an empty data folder makes this node one of its founders.</summary>
    New,

    /// <summary>The cluster exists: an empty data folder makes this node a new learner, once the cluster no longer counts its old self.</summary>
    Existing,

    /// <summary>Decided from the data folder and the founders' answers (a deployment whose volumes start empty once): see <see cref="ClusterFounding"/>.</summary>
    Auto,
}

/// <summary>
/// The cluster id a node's data folder belongs to, kept in <c>cluster-id</c> beside the Raft log. Written when the node
/// enters the cluster (at once for a founder; once admitted for a node joining an existing cluster, see
/// <see cref="ClusterFounding"/>); at every later start it must match the configured id.
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

        if (!HoldsState(dataDir) && state != ClusterState.New)
        {
            // Joining an existing cluster, or deciding whether to found one: written once that is settled.
            return configured;
        }

        // A folder with a log but no id predates cluster ids: it adopts the configured one.
        Record(dataDir, configured);
        return configured;
    }

    /// <summary>
    /// True when the folder holds any state: a log, a snapshot, an id (an empty folder is a new node, or a lost one). The
    /// process's lock file and the audit trail are not state: they are written before the node knows how it enters.
    /// </summary>
    public static bool HoldsState(string dataDir) =>
        Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir)
            .Select(Path.GetFileName)
            .Any(name => name is not ("LOCK" or null) && !name.StartsWith("audit", StringComparison.Ordinal));

    /// <summary>Writes the id durably (see <see cref="DirectorySync.ReplaceFile"/>).</summary>
    public static void Record(string dataDir, string configured)
    {
        DirectorySync.ReplaceFile(Path.Combine(dataDir, FileName), System.Text.Encoding.UTF8.GetBytes(configured + "\n"));
    }
}

/// <summary>The node cannot start with this data folder; the message says why and what to do.</summary>
public sealed class ClusterIdentityException(string message) : Exception(message);
