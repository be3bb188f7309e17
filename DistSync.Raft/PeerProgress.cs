namespace DistSync.Raft;

/// <summary>A leader's view of one follower, for status pages.</summary>
public readonly record struct PeerProgress(long Match, long Next, ProgressState State, bool RecentActive, int Inflight);
