namespace DistSync.Raft;

public enum RaftRole
{
    Follower,

    /// <summary>Asking for pre-votes without bumping its term (thesis §9.6).</summary>
    PreCandidate,
    Candidate,
    Leader,
}
