using System.ComponentModel.DataAnnotations;

namespace DistSync.Node.Hosting;

/// <summary>The <c>DistSync</c> configuration section (environment: <c>DistSync__NodeId</c>, …).</summary>
public sealed class NodeOptions
{
    public const string SectionName = "DistSync";

    /// <summary>This node's id, as its peers name it (<c>services__{id}__http__0</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "DistSync:NodeId must be 1-64 letters, digits, '-' or '_'.")]
    public string NodeId { get; set; } = "";

    /// <summary>Where the Raft log and snapshots live. Default: <c>.data/{NodeId}</c> under the working directory.</summary>
    public string? DataDir { get; set; }

    /// <summary>
    /// Shared secret every node presents on <c>/internal</c> routes. Required, at least 16 characters, when the node has
    /// peers (see <see cref="NodeOptionsValidator"/>); a node alone may go without, and then takes no peer requests.
    /// </summary>
    public string? ClusterKey { get; set; }

    /// <summary>The id of the cluster this node belongs to: written into its data folder at the first start and carried on every peer message.</summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "DistSync:ClusterId must be 1-64 letters, digits, '-' or '_'.")]
    public string? ClusterId { get; set; }

    /// <summary>
    /// What an empty data folder means: <c>New</c>, a founder of the cluster being formed; <c>Existing</c>, a new learner
    /// of a cluster that has a log; <c>Auto</c>, decided by asking the founders (see <see cref="ClusterFounding"/>).
    /// A folder that holds a log is an existing member whatever this says.
    /// </summary>
    public ClusterState ClusterState { get; set; } = ClusterState.New;

    /// <summary>
    /// The cluster's founders, comma-separated (<c>node1,node2,node3</c>): its first voters. Default: this node and every
    /// peer in the environment. Set it when the environment also names nodes that join later (spare nodes).
    /// </summary>
    public string? Founders { get; set; }

    /// <summary>
    /// A backup file (<c>GET /admin/snapshot</c>) to start from: with an empty data folder the node writes it into its log
    /// as the starting snapshot and founds a new cluster with <see cref="Founders"/> (every founder restores the same
    /// file). A folder that already holds state is refused, unless that state is this very file's restore (a restart).
    /// </summary>
    public string? RestoreFrom { get; set; }

    /// <summary>
    /// How far a restore raises the snapshot's Raft index and term, and the ring's epoch, so every fencing token and
    /// epoch of the restored cluster is above the old cluster's. Must exceed the entries the old cluster committed
    /// after the backup was taken. Default 1,000,000,000.
    /// </summary>
    [Range(1, long.MaxValue / 4)]
    public long RestoreBump { get; set; } = 1_000_000_000;

    public string ResolveDataDir() =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(DataDir) ? Path.Combine(".data", NodeId) : DataDir);
}
