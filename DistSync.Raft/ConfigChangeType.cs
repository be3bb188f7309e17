namespace DistSync.Raft;

/// <summary>The one-server membership changes (thesis §4.1, §4.2.1). Values are part of the log format: never renumber.</summary>
public enum ConfigChangeType : byte
{
    /// <summary>A new node joins as a learner: it receives the log but neither votes nor counts in any quorum.</summary>
    AddLearner = 1,

    /// <summary>A caught-up learner becomes a voter, keeping its replication progress.</summary>
    Promote = 2,

    /// <summary>A voter or learner leaves the cluster.</summary>
    Remove = 3,
}
