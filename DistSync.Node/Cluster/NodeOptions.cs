using System.ComponentModel.DataAnnotations;

namespace DistSync.Node.Cluster;

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

    /// <summary>Shared secret every node presents on <c>/internal</c> routes. Empty means internal routes are open (single-node development only).</summary>
    public string? ClusterKey { get; set; }

    public string ResolveDataDir() =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(DataDir) ? Path.Combine(".data", NodeId) : DataDir);
}
