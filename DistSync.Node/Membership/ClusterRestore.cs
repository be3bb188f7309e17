using System.Text.Json;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Storage;
using DistSync.Raft;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Membership;

/// <summary>
/// Restores a backup into an empty data folder before Raft opens it (etcdutl's <c>snapshot restore</c>, run by the node
/// itself): the backup becomes the log's starting snapshot, and this node one of the founders of a new cluster.
/// </summary>
/// <remarks>
/// The snapshot's index and term are the backup's plus <see cref="NodeOptions.RestoreBump"/> (etcdutl's
/// <c>--bump-revision</c>): a fencing token is the index of the entry that granted it, so every token the restored
/// cluster issues is above every token the old one issued, also after the backup, as long as the bump exceeds the
/// entries it committed since. The higher term keeps a stray node of the old cluster from winning a vote. The replicated
/// clock is restored as saved, so leases and sessions keep the time they had left, measured on that clock. Every founder
/// computes the same snapshot from the same file, so their state machines agree from the start.
/// </remarks>
public sealed partial class ClusterRestore(IOptions<NodeOptions> options, ClusterFounding founding, ILogger<ClusterRestore> logger)
{
    /// <summary>Written last into a restored folder: which file it came from, so a restart with the same setting starts normally.</summary>
    public const string MarkerFile = "restored-from.json";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>
    /// Does the restore <see cref="NodeOptions.RestoreFrom"/> asks for, if any. Call before anything else writes into the
    /// data folder. Throws <see cref="ClusterIdentityException"/> when the node must not start.
    /// </summary>
    public void RestoreIfAsked()
    {
        var node = options.Value;
        if (string.IsNullOrWhiteSpace(node.RestoreFrom))
        {
            return;
        }

        var path = Path.GetFullPath(node.RestoreFrom);
        var dataDir = node.ResolveDataDir();
        if (ClusterIdentity.HoldsState(dataDir))
        {
            if (IsRestoredFrom(dataDir, path))
            {
                LogAlreadyRestored(path, dataDir);
                return;
            }

            throw new ClusterIdentityException(
                $"{node.NodeId}'s data folder {dataDir} already holds state, and DistSync:RestoreFrom asks to restore {path} into it. "
                + "A restore only writes into an empty folder, so that nothing a node holds is overwritten. To restore, empty the folder "
                + "(or point DistSync__DataDir at an empty one); to start from what the folder holds, unset DistSync__RestoreFrom.");
        }

        if (node.ClusterState == ClusterState.Existing)
        {
            throw new ClusterIdentityException(
                $"DistSync:RestoreFrom makes {node.NodeId} a founder of a new cluster, but DistSync:ClusterState is Existing (join a cluster that has a log). "
                + "Set DistSync__ClusterState=New on every founder that restores the file.");
        }

        var founders = founding.ConfiguredFounders;
        if (!founders.Contains(node.NodeId))
        {
            throw new ClusterIdentityException(
                $"DistSync:RestoreFrom makes {node.NodeId} a founder of a new cluster, but the founders are {string.Join(",", founders)}. "
                + "Restore on the founders only (DistSync__Founders); other nodes join the restored cluster empty, as new learners.");
        }

        SnapshotBackupFile backup;
        try
        {
            backup = SnapshotBackup.Read(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ClusterIdentityException($"DistSync:RestoreFrom names {path}, which cannot be restored: {ex.Message}");
        }

        var snapshot = ForNewCluster(backup.Snapshot, founders, node.RestoreBump);
        using (var storage = new RaftStorage(Path.Combine(dataDir, "raft")))
        {
            storage.Load();
            storage.SaveSnapshot(snapshot);
            // The term the snapshot's entries carry, and everything in it committed: as if this node had applied it.
            storage.Save(new HardState(snapshot.Metadata.Term, null, snapshot.Metadata.Index), []);
        }

        WriteMarker(dataDir, new Marker(path, backup.Sha256, backup.Header.ClusterId, backup.Header.Index, snapshot.Metadata.Index, snapshot.Metadata.Term));
        LogRestored(path, backup.Header.ClusterId ?? "-", backup.Header.Index, snapshot.Metadata.Index, snapshot.Metadata.Term, string.Join(",", founders));
    }

    /// <summary>
    /// The backup's snapshot as a new cluster of <paramref name="founders"/> starts from: index and term raised by
    /// <paramref name="bump"/>, the founders as its configuration, and the membership part rewritten to match (see
    /// <see cref="MembershipRestore"/>); every other part (locks, sessions, topics, the clock) as saved.
    /// </summary>
    public static Snapshot ForNewCluster(Snapshot backup, IReadOnlyList<string> founders, long bump)
    {
        ArgumentNullException.ThrowIfNull(backup);
        var parts = RaftHost.SplitMachines(backup.Data);
        var at = parts.FindIndex(p => p.Tag == MembershipStateMachine.CommandTag);
        var membership = MembershipRestore.ForNewCluster(at >= 0 ? parts[at].Data : [], founders, bump);
        if (at >= 0)
        {
            parts[at] = (MembershipStateMachine.CommandTag, membership);
        }
        else
        {
            parts.Add((MembershipStateMachine.CommandTag, membership));
            parts.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        }

        var metadata = new SnapshotMetadata(checked(backup.Metadata.Index + bump), checked(backup.Metadata.Term + bump),
            [.. founders.Order(StringComparer.Ordinal)], []);
        return new Snapshot(metadata, RaftHost.CombineMachines(parts));
    }

    private static bool IsRestoredFrom(string dataDir, string path)
    {
        var file = Path.Combine(dataDir, MarkerFile);
        if (!File.Exists(file))
        {
            return false;
        }

        var marker = JsonSerializer.Deserialize<Marker>(File.ReadAllBytes(file), Json);
        if (marker is null || marker.File != path)
        {
            return false;
        }

        // The same path with other contents is another backup: that one is not what this folder holds.
        return !File.Exists(path) || TrailerSha256(path) == marker.Sha256;
    }

    /// <summary>The SHA-256 a backup ends with (its last 32 bytes), without reading the rest.</summary>
    private static string TrailerSha256(string path)
    {
        using var file = File.OpenRead(path);
        if (file.Length < 32)
        {
            return "";
        }

        var hash = new byte[32];
        file.Seek(-32, SeekOrigin.End);
        file.ReadExactly(hash);
        return Convert.ToHexStringLower(hash);
    }

    private static void WriteMarker(string dataDir, Marker marker)
    {
        DirectorySync.ReplaceFile(Path.Combine(dataDir, MarkerFile), JsonSerializer.SerializeToUtf8Bytes(marker, Json));
    }

    [LoggerMessage(2201, LogLevel.Warning,
        "Restored {Path} (cluster {OldCluster}, index {BackupIndex}) as snapshot {Index} of term {Term}: this node founds a new cluster with {Founders}")]
    private partial void LogRestored(string path, string oldCluster, long backupIndex, long index, long term, string founders);

    [LoggerMessage(2202, LogLevel.Information, "The data folder {DataDir} was restored from {Path} before: starting from what it holds")]
    private partial void LogAlreadyRestored(string path, string dataDir);

    private sealed record Marker(string File, string Sha256, string? ClusterId, long BackupIndex, long Index, long Term);
}
