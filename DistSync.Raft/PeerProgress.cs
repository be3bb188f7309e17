namespace DistSync.Raft;

/// <summary>
/// A leader's view of one member, for status pages. <paramref name="Lag"/> is how far <paramref name="Match"/> is behind
/// the leader's commit index (0 when caught up): a learner can be promoted only at 0 (see <see cref="ConfigChangeRefusal.LearnerBehind"/>).
/// </summary>
public readonly record struct PeerProgress(
    long Match,
    long Next,
    ProgressState State,
    bool RecentActive,
    int Inflight,
    bool IsLearner = false,
    long Lag = 0);
