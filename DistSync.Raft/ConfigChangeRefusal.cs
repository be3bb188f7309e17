namespace DistSync.Raft;

/// <summary>Why <see cref="RaftNode.ProposeConfigChange"/> refused a change (<see cref="ProposeStatus.ConfigChangeRefused"/>); an API answers 409.</summary>
public enum ConfigChangeRefusal
{
    None,

    /// <summary>An earlier change is appended but not yet applied on the leader: one at a time (thesis §4.1).</summary>
    ChangePending,

    /// <summary>
    /// The leader has not yet committed an entry of its own term. Without this rule a change proposed by a new leader can
    /// overlap one an old leader left uncommitted and lose committed entries (Ongaro, raft-dev, 2015: the single-server bug).
    /// With changes taking effect when applied, log order already keeps a change behind the new leader's first entry (etcd
    /// raft relies on that); the explicit rule makes the refusal visible instead of a change that waits.
    /// </summary>
    LeaderNotCommittedInTerm,

    /// <summary>AddLearner of an id that is already a voter or learner.</summary>
    AlreadyMember,

    /// <summary>Promote of an id that is not a learner.</summary>
    NotLearner,

    /// <summary>Promote of a learner whose log lags: its match index is below the leader's commit index.</summary>
    LearnerBehind,

    /// <summary>Remove of the only voter: the cluster could never commit again.</summary>
    LastVoter,

    /// <summary>Remove of an id that is neither voter nor learner.</summary>
    NotMember,

    /// <summary>The node id is blank or longer than the wire format's ids (<see cref="MessageCodec.MaxIdBytes"/> bytes).</summary>
    InvalidNodeId,

    /// <summary>The configuration would exceed <see cref="RaftConfiguration.MaxMembers"/> voters or learners.</summary>
    TooManyMembers,
}
