using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Hosting;

/// <summary>
/// How this node entered its cluster, kept in <c>founding.json</c> in its data folder: the cluster's founders (its first
/// voters, and the ring's members at epoch 0) and whether this node was one of them or joined later as a learner. Read
/// from the folder at every start, so the peers named in the environment are only seeds after the first: a node
/// restarted with a longer or shorter list replays its log against the same beginning as every other node.
/// </summary>
/// <remarks>
/// An empty folder is settled by <see cref="NodeOptions.ClusterState"/>: <c>New</c> founds the cluster with the
/// configured founders at once; <c>Existing</c> joins it as a new learner once a member confirms that the cluster no
/// longer counts this node's old self as a voter (a voter that lost its log must never vote again under its old name);
/// <c>Auto</c> asks the founders first (Consensus/ClusterAdmission). Until then <see cref="Settled"/> is false and Raft
/// does not open its log.
/// </remarks>
public sealed class ClusterFounding
{
    public const string FileName = "founding.json";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
    private readonly string _dataDir;
    private volatile Record? _record;

    public ClusterFounding(IOptions<NodeOptions> options, PeerDirectory peers)
    {
        var node = options.Value;
        _dataDir = node.ResolveDataDir();
        ConfiguredFounders = ParseFounders(node.Founders, peers);
    }

    /// <summary>The founders the configuration names: <c>DistSync:Founders</c>, else this node and every seed peer.</summary>
    public IReadOnlyList<string> ConfiguredFounders { get; }

    /// <summary>True once the node knows how it enters the cluster (always, for a folder that holds a log).</summary>
    public bool Settled => _record is not null;

    /// <summary>The cluster's founders: recorded in the folder once settled; the configured ones before.</summary>
    public IReadOnlyList<string> Founders => _record?.Founders ?? ConfiguredFounders;

    /// <summary>True when this node joined an existing cluster: it starts as a learner of its own, not as a founding voter.</summary>
    public bool Joined => _record?.Joined ?? false;

    /// <summary>Founders' "deciding" answers this node saw when it founded the cluster (see ClusterAdmission).</summary>
    public IReadOnlyDictionary<string, string> SeenDeciding => _record?.SeenDeciding ?? new Dictionary<string, string>();

    /// <summary>Reads the record, or settles a folder without one that needs no peer: a founder (<c>New</c>) or a folder that predates the record.</summary>
    public void Load(ClusterState state)
    {
        var file = Path.Combine(_dataDir, FileName);
        if (File.Exists(file))
        {
            _record = JsonSerializer.Deserialize<Record>(File.ReadAllBytes(file), Json)
                ?? throw new ClusterIdentityException($"{file} is empty or not JSON; restore it from a backup of the node.");
            return;
        }

        if (ClusterIdentity.HoldsState(_dataDir) || state == ClusterState.New)
        {
            // A founder's first start, or a folder written before founders were recorded (the configured ones then).
            Write(new Record(ConfiguredFounders, Joined: false, SeenDeciding: null));
        }
    }

    /// <summary>This node founds the cluster (after <c>Auto</c>'s check): <paramref name="seen"/> are the founders' answers it relied on.</summary>
    public void Found(IReadOnlyDictionary<string, string> seen) => Write(new Record(ConfiguredFounders, Joined: false, new Dictionary<string, string>(seen)));

    /// <summary>This node joins the cluster that <paramref name="founders"/> founded, as a new learner.</summary>
    public void Join(IReadOnlyList<string> founders) => Write(new Record([.. founders], Joined: true, SeenDeciding: null));

    private void Write(Record record)
    {
        DirectorySync.ReplaceFile(Path.Combine(_dataDir, FileName), JsonSerializer.SerializeToUtf8Bytes(record, Json));
        _record = record;
    }

    private IReadOnlyList<string> ParseFounders(string? configured, PeerDirectory peers)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return peers.SeedIds;
        }

        var founders = configured.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return founders.Count > 0 ? founders : peers.SeedIds;
    }

    private sealed record Record(
        IReadOnlyList<string> Founders,
        bool Joined,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string>? SeenDeciding);
}
