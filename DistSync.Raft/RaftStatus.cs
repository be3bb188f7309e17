namespace DistSync.Raft;

/// <summary>
/// A snapshot of a node's Raft state for status endpoints and metrics. <see cref="Configuration"/> is the configuration
/// this node has applied; <see cref="Progress"/> (on the leader only) covers voters and learners alike.
/// </summary>
public sealed record RaftStatus(
    string Id,
    RaftRole Role,
    long Term,
    string? LeaderId,
    string? VotedFor,
    long Commit,
    long Applied,
    long LastIndex,
    long SnapshotIndex,
    int EntriesInMemory,
    string? TransferTarget,
    IReadOnlyDictionary<string, PeerProgress> Progress,
    RaftConfiguration Configuration);
