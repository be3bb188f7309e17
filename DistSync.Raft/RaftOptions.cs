namespace DistSync.Raft;

/// <summary>Settings of one Raft node. Time is counted in ticks; the host decides how long a tick is.</summary>
public sealed class RaftOptions
{
    /// <summary>This node's id; must be one of <see cref="Voters"/> or <see cref="Learners"/>.</summary>
    public string Id { get; set; } = "";

    /// <summary>
    /// The voters of the configuration the log starts from (a cluster's founding members). Only the initial configuration:
    /// a snapshot's configuration and the configuration-change entries of the log take over from it (thesis §4.1).
    /// </summary>
    public IReadOnlyList<string> Voters { get; set; } = [];

    /// <summary>
    /// The learners of the initial configuration (default none). A node joining a running cluster may start with itself
    /// as the only learner and no voters: it learns the real configuration from the leader's log or snapshot.
    /// </summary>
    public IReadOnlyList<string> Learners { get; set; } = [];

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

        if (Voters is null || Learners is null)
        {
            throw new ArgumentException("Voters and Learners must be lists.", nameof(Voters));
        }

        var initial = new RaftConfiguration(Voters, Learners);
        initial.Validate(nameof(Voters));
        if (!initial.IsMember(Id))
        {
            throw new ArgumentException($"Voters or Learners must contain this node's id '{Id}'.", nameof(Voters));
        }

        if (Voters.Count == 0 && Learners.Count != 1)
        {
            // Only a joining learner starts without voters, knowing no one else yet.
            throw new ArgumentException("Voters must list at least one node, unless this node is the only learner (joining).", nameof(Voters));
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
