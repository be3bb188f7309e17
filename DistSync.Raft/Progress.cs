namespace DistSync.Raft;

/// <summary>A leader's replication state for one follower (etcd raft: tracker/progress.go).</summary>
internal sealed class Progress
{
    public Progress(long next, int maxInflight)
    {
        Next = next;
        Inflights = new Inflights(maxInflight);
    }

    /// <summary>Highest index known replicated on the follower.</summary>
    public long Match { get; private set; }

    /// <summary>Next index to send.</summary>
    public long Next { get; private set; }

    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>In probe state, an append is outstanding: send no more until a response or heartbeat response.</summary>
    public bool ProbeSent { get; set; }

    /// <summary>Index of the snapshot being sent, in snapshot state.</summary>
    public long PendingSnapshot { get; private set; }

    /// <summary>Ticks since the snapshot was sent; a lost snapshot is resent after an election timeout.</summary>
    public int SnapshotTicks { get; set; }

    /// <summary>Heard from within the current check-quorum window.</summary>
    public bool RecentActive { get; set; }

    public Inflights Inflights { get; }

    /// <summary>The commit index last told to the follower, so a commit-only broadcast can skip those already told.</summary>
    public long SentCommit { get; set; }

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        _ => true,
    };

    public void BecomeProbe()
    {
        // After a snapshot, continue right after it (or after match, if the follower is further).
        Next = State == ProgressState.Snapshot ? Math.Max(Match + 1, PendingSnapshot + 1) : Match + 1;
        State = ProgressState.Probe;
        ProbeSent = false;
        PendingSnapshot = 0;
        Inflights.Reset();
    }

    public void BecomeReplicate()
    {
        State = ProgressState.Replicate;
        Next = Match + 1;
        ProbeSent = false;
        PendingSnapshot = 0;
        Inflights.Reset();
    }

    public void BecomeSnapshot(long snapshotIndex)
    {
        State = ProgressState.Snapshot;
        PendingSnapshot = snapshotIndex;
        SnapshotTicks = 0;
        ProbeSent = false;
        Inflights.Reset();
    }

    /// <summary>The snapshot in flight did not arrive: a probe then starts after <see cref="Match"/>, not after the snapshot.</summary>
    public void ForgetPendingSnapshot() => PendingSnapshot = 0;

    /// <summary>The leader's own progress, or a reset on election: set match directly.</summary>
    public void Reset(long match, long next)
    {
        Match = match;
        Next = next;
        State = ProgressState.Probe;
        ProbeSent = false;
        PendingSnapshot = 0;
        RecentActive = false;
        SentCommit = 0;
        Inflights.Reset();
    }

    /// <summary>An acknowledgement up to <paramref name="index"/>; false when it is stale.</summary>
    public bool MaybeUpdate(long index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }

        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>Pipelining: assume the append up to <paramref name="lastIndex"/> will succeed.</summary>
    public void OptimisticUpdate(long lastIndex) => Next = lastIndex + 1;

    /// <summary>
    /// The follower rejected an append whose previous index was <paramref name="rejected"/>; it suggests
    /// <paramref name="hint"/>. Returns false for a stale rejection (etcd raft: Progress.MaybeDecrTo).
    /// </summary>
    public bool MaybeDecrTo(long rejected, long hint)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }

            Next = Match + 1;
            return true;
        }

        if (Next - 1 != rejected)
        {
            return false;
        }

        Next = Math.Max(Math.Min(rejected, hint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }
}
