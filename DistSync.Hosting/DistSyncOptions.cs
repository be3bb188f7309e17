using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace DistSync.Hosting;

/// <summary>Which Redis the AppHost runs in run mode.</summary>
public enum RedisKind
{
    /// <summary><c>redis-server</c> when it is on PATH, else Garnet.</summary>
    Auto,

    /// <summary><c>redis-server</c> from PATH (Debian package <c>redis-server</c>) as an executable resource.</summary>
    RedisServer,

    /// <summary>Microsoft Garnet from the repo's dotnet tool manifest, as an executable resource.</summary>
    Garnet,

    /// <summary>Aspire's Redis container (<c>AddRedis</c>); needs a container runtime.</summary>
    Container,

    /// <summary>
    /// A Redis Cluster of six local <c>redis-server</c> processes (three primaries, three replicas), formed by the AppHost.
    /// Run mode only.
    /// </summary>
    Cluster,

    /// <summary>A Redis the user runs, named by <c>ConnectionStrings:redis</c>; nothing is started.</summary>
    External,
}

/// <summary>
/// The <c>DistSync</c> section of the AppHost's configuration (command line <c>--DistSync:Nodes=5</c>, or the short
/// forms of <see cref="DistSyncArguments"/>, or environment <c>DistSync__Nodes=5</c>).
/// </summary>
public sealed record DistSyncOptions
{
    public const string SectionName = "DistSync";

    public static readonly int[] AllowedNodeCounts = [1, 3, 5, 7];

    /// <summary>How many nodes: 1, 3, 5 or 7 (odd, so a majority always exists).</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>
    /// Nodes declared after node1..nodeN that start only when asked (the cluster's Add node command): Aspire's model
    /// cannot grow once the app runs. In run mode only.
    /// </summary>
    public int SpareNodes { get; init; } = 2;

    /// <summary>node1 listens on this port, node2 on the next, … (the original system's 8001..); 0 picks free ports.</summary>
    public int BasePort { get; init; } = 8001;

    public RedisKind Redis { get; init; } = RedisKind.Auto;

    /// <summary>Port of the Redis the AppHost starts; 0 picks a free one.</summary>
    public int RedisPort { get; init; }

    /// <summary>Raft logs, snapshots and Redis's append-only file. Default: <c>.data</c> beside the AppHost project.</summary>
    public string? DataDir { get; init; }

    /// <summary>Also write each resource's console output to <c>LogDir/&lt;resource&gt;.log</c> (off when null).</summary>
    public string? LogDir { get; init; }

    /// <summary>Delete <see cref="DataDir"/> before starting (a fresh cluster).</summary>
    public bool Clean { get; init; }

    /// <summary>
    /// A backup file (<c>GET /admin/snapshot</c>) every node restores at its first start (<c>DistSync__RestoreFrom</c>), as
    /// an absolute path: the cluster is founded from it. Run mode only; refused when the data folder already holds a cluster.
    /// </summary>
    public string? Restore { get; init; }

    /// <summary>Restart a node, or the local Redis, that exits with a non-zero code (a crash, or the Kill command), with backoff 1 s … 30 s.</summary>
    public bool RestartOnCrash { get; init; } = true;

    /// <summary>Run the nodes without authentication (every request an admin); they warn at start. Development only.</summary>
    public bool AuthOff { get; init; }

    /// <summary>
    /// The node's container image, for a manifest of an AppHost that runs the nodes as executables (an executable cannot be
    /// deployed): <c>dotnet publish DistSync.Node -t:PublishContainer</c> builds <c>distsync-node:latest</c>.
    /// </summary>
    public string NodeImage { get; init; } = "distsync-node:latest";

    /// <summary>Run the Aspire dashboard and have every node export telemetry to it.</summary>
    public bool Dashboard { get; init; } = true;

    /// <summary>
    /// Where one node reaches another, instead of the other's own endpoint: <c>DistSync:PeerLinks:node1:node2=
    /// http://127.0.0.1:9102</c> sends node1's traffic to node2 through that address (the fault harness puts a TCP proxy
    /// on each directed link there, so it can cut or slow one link). Keyed from, then to.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Uri>> PeerLinks { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, Uri>>();

    /// <summary>Extra configuration for every node (<c>DistSync:NodeEnvironment:DistSync__Raft__SnapshotEvery=50</c>).</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Extra environment for one node, after <see cref="NodeEnvironment"/> (<c>DistSync:NodeEnvironmentOf:node2:FAKETIME=-10s</c>):
    /// how the fault harness starts a node with its own wall clock. Keyed by node, then variable.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> NodeEnvironmentOf { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>The data folder as an absolute path (a relative one is taken from the AppHost's project folder).</summary>
    public string ResolveDataDir(string appHostDirectory) =>
        Path.GetFullPath(DataDir ?? ".data", appHostDirectory);

    public static DistSyncOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var defaults = new DistSyncOptions();
        var options = new DistSyncOptions
        {
            Nodes = Int(section, nameof(Nodes), defaults.Nodes),
            SpareNodes = Int(section, nameof(SpareNodes), defaults.SpareNodes),
            BasePort = Int(section, nameof(BasePort), defaults.BasePort),
            Redis = Kind(section[nameof(Redis)]),
            RedisPort = Int(section, nameof(RedisPort), defaults.RedisPort),
            DataDir = section[nameof(DataDir)] is { Length: > 0 } dir ? dir : null,
            LogDir = section[nameof(LogDir)] is { Length: > 0 } logs ? logs : null,
            Clean = Bool(section, nameof(Clean), defaults.Clean),
            Restore = section[nameof(Restore)] is { Length: > 0 } restore ? Path.GetFullPath(restore) : null,
            RestartOnCrash = Bool(section, nameof(RestartOnCrash), defaults.RestartOnCrash),
            Dashboard = Bool(section, nameof(Dashboard), defaults.Dashboard),
            AuthOff = Bool(section, nameof(AuthOff), defaults.AuthOff),
            NodeImage = section[nameof(NodeImage)] is { Length: > 0 } image ? image : defaults.NodeImage,
            NodeEnvironment = section.GetSection(nameof(NodeEnvironment)).GetChildren()
                .ToDictionary(c => c.Key, c => c.Value ?? "", StringComparer.Ordinal),
            PeerLinks = Links(section.GetSection(nameof(PeerLinks))),
            NodeEnvironmentOf = section.GetSection(nameof(NodeEnvironmentOf)).GetChildren().ToDictionary(
                node => node.Key,
                node => (IReadOnlyDictionary<string, string>)node.GetChildren().ToDictionary(v => v.Key, v => v.Value ?? "", StringComparer.Ordinal),
                StringComparer.Ordinal),
        };
        options.Validate();
        return options;
    }

    private void Validate()
    {
        if (!AllowedNodeCounts.Contains(Nodes))
        {
            throw new DistSyncConfigurationException($"DistSync:Nodes must be 1, 3, 5 or 7 (an odd number, so a majority exists), not {Nodes}.");
        }

        if (SpareNodes is < 0 or > 4)
        {
            throw new DistSyncConfigurationException($"DistSync:SpareNodes must be 0 to 4, not {SpareNodes}.");
        }

        if (BasePort is < 0 or > 65535 || (BasePort > 0 && BasePort + Nodes + SpareNodes - 1 > 65535))
        {
            var spares = SpareNodes > 0 ? $" and {SpareNodes} spare nodes" : "";
            throw new DistSyncConfigurationException($"DistSync:BasePort {BasePort} leaves no room for {Nodes} nodes{spares} below port 65536 (0 picks free ports).");
        }

        var names = Enumerable.Range(1, Nodes).Select(i => $"node{i}").ToHashSet(StringComparer.Ordinal);
        foreach (var (from, links) in PeerLinks)
        {
            foreach (var to in links.Keys.Prepend(from).Where(n => !names.Contains(n)))
            {
                throw new DistSyncConfigurationException($"DistSync:PeerLinks names {to}, which is not one of this cluster's nodes (node1..node{Nodes}).");
            }

            if (links.ContainsKey(from))
            {
                throw new DistSyncConfigurationException($"DistSync:PeerLinks:{from}:{from}: a node does not link to itself.");
            }
        }

        if (RedisPort is < 0 or > 65535)
        {
            throw new DistSyncConfigurationException($"DistSync:RedisPort must be a port number (0 picks a free one), not {RedisPort}.");
        }
    }

    private static int Int(IConfigurationSection section, string key, int fallback) =>
        section[key] is not { Length: > 0 } text ? fallback
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : throw new DistSyncConfigurationException($"DistSync:{key} must be a whole number, not '{text}'.");

    private static bool Bool(IConfigurationSection section, string key, bool fallback) =>
        section[key] is not { Length: > 0 } text ? fallback
        : bool.TryParse(text, out var value) ? value
        : throw new DistSyncConfigurationException($"DistSync:{key} must be true or false, not '{text}'.");

    private static Dictionary<string, IReadOnlyDictionary<string, Uri>> Links(IConfigurationSection section) =>
        section.GetChildren().ToDictionary(from => from.Key, from => (IReadOnlyDictionary<string, Uri>)from.GetChildren().ToDictionary(
            to => to.Key,
            to => Uri.TryCreate(to.Value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp ? uri
                : throw new DistSyncConfigurationException($"DistSync:PeerLinks:{from.Key}:{to.Key} must be an http:// address, not '{to.Value}'."),
            StringComparer.Ordinal), StringComparer.Ordinal);

    private static RedisKind Kind(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "auto" => RedisKind.Auto,
        "redis-server" or "redis" => RedisKind.RedisServer,
        "garnet" => RedisKind.Garnet,
        "container" => RedisKind.Container,
        "cluster" => RedisKind.Cluster,
        "external" => RedisKind.External,
        _ => throw new DistSyncConfigurationException($"DistSync:Redis must be auto, redis-server, garnet, cluster, container or external, not '{text}'."),
    };
}

/// <summary>A configuration value the AppHost cannot use; the message says which and what to do.</summary>
public sealed class DistSyncConfigurationException(string message) : Exception(message);
