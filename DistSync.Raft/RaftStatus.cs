namespace DistSync.Raft;

/// <summary>A snapshot of a node's Raft state for status endpoints and metrics.</summary>
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
    IReadOnlyDictionary<string, PeerProgress> Progress);
