namespace DistSync.Raft;

/// <summary>Volatile role information; needs no persistence. A Ready carries it when it changed, so the host can trace elections.</summary>
public readonly record struct SoftState(RaftRole Role, string? LeaderId, long Term);
