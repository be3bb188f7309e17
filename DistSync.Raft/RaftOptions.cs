namespace DistSync.Raft;

/// <summary>Settings of one Raft node. Time is counted in ticks; the host decides how long a tick is.</summary>
public sealed class RaftOptions
{
    /// <summary>This node's id; must be one of <see cref="Voters"/>.</summary>
    public string Id { get; set; } = "";

    /// <summary>Every voting member, this node included. Membership is static.</summary>
    public IReadOnlyList<string> Voters { get; set; } = [];

    /// <summary>Ticks a follower waits without hearing from a leader before it campaigns (randomized in [n, 2n)).</summary>
    public int ElectionTicks { get; set; } = 10;

    /// <summary>Ticks between a leader's heartbeats; must be smaller than <see cref="ElectionTicks"/>.</summary>
    public int HeartbeatTicks { get; set; } = 1;

    /// <summary>Run a pre-vote round before bumping the term, so a rejoining node cannot disrupt a healthy leader (thesis §9.6).</summary>
    public bool PreVote { get; set; } = true;

    /// <summary>A leader that hears from no majority within an election timeout steps down; followers then honour a leader lease.</summary>
    public bool CheckQuorum { get; set; } = true;

    /// <summary>Most entries in one append message.</summary>
    public int MaxEntriesPerAppend { get; set; } = 256;

    /// <summary>Most payload bytes in one append message (at least one entry is always sent).</summary>
    public long MaxBytesPerAppend { get; set; } = 1 << 20;

    /// <summary>Most append messages in flight to one peer while it is replicating (pipelining).</summary>
    public int MaxInflightAppends { get; set; } = 64;

    /// <summary>Most committed entries handed out in one <see cref="Ready"/>; bounds the host's apply batch.</summary>
    public int MaxCommittedEntriesPerReady { get; set; } = 4096;

    /// <summary>Most entries a leader holds uncommitted; further proposals are refused until commits catch up.</summary>
    public int MaxUncommittedEntries { get; set; } = 65536;

    /// <summary>Most read requests waiting at a leader; more are refused at once.</summary>
    public int MaxPendingReads { get; set; } = 65536;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            throw new ArgumentException("Id must be set.", nameof(Id));
        }

        if (Voters is null || Voters.Count == 0)
        {
            throw new ArgumentException("Voters must list at least this node.", nameof(Voters));
        }

        if (Voters.Count > 64)
        {
            throw new ArgumentException("At most 64 voters are supported.", nameof(Voters));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var voter in Voters)
        {
            if (string.IsNullOrWhiteSpace(voter) || !seen.Add(voter))
            {
                throw new ArgumentException($"Voters must be distinct non-empty ids; '{voter}' is not.", nameof(Voters));
            }
        }

        if (!seen.Contains(Id))
        {
            throw new ArgumentException($"Voters must contain this node's id '{Id}'.", nameof(Voters));
        }

        if (ElectionTicks < 2)
        {
            throw new ArgumentException("ElectionTicks must be at least 2.", nameof(ElectionTicks));
        }

        if (HeartbeatTicks < 1 || HeartbeatTicks >= ElectionTicks)
        {
            throw new ArgumentException("HeartbeatTicks must be at least 1 and below ElectionTicks.", nameof(HeartbeatTicks));
        }

        if (MaxEntriesPerAppend < 1)
        {
            throw new ArgumentException("MaxEntriesPerAppend must be at least 1.", nameof(MaxEntriesPerAppend));
        }

        if (MaxBytesPerAppend < 1)
        {
            throw new ArgumentException("MaxBytesPerAppend must be at least 1.", nameof(MaxBytesPerAppend));
        }

        if (MaxInflightAppends < 1)
        {
            throw new ArgumentException("MaxInflightAppends must be at least 1.", nameof(MaxInflightAppends));
        }

        if (MaxCommittedEntriesPerReady < 1)
        {
            throw new ArgumentException("MaxCommittedEntriesPerReady must be at least 1.", nameof(MaxCommittedEntriesPerReady));
        }

        if (MaxUncommittedEntries < 1)
        {
            throw new ArgumentException("MaxUncommittedEntries must be at least 1.", nameof(MaxUncommittedEntries));
        }

        if (MaxPendingReads < 1)
        {
            throw new ArgumentException("MaxPendingReads must be at least 1.", nameof(MaxPendingReads));
        }
    }
}
