namespace DistSync.Raft;

/// <summary>How a leader replicates to one follower (etcd raft: tracker/state.go).</summary>
public enum ProgressState
{
    /// <summary>Next index unknown: one append at a time until the follower's log position is found.</summary>
    Probe,

    /// <summary>Follower is in step: appends are pipelined, bounded by the inflight window.</summary>
    Replicate,

    /// <summary>A snapshot was sent; no appends until the follower has it.</summary>
    Snapshot,
}
