namespace DistSync.Raft;

/// <summary>
/// Who is in the cluster: voters elect leaders and make up every quorum (commit, ReadIndex, check-quorum); learners
/// only receive the log (thesis §4.2.1, etcd raft's learners). An id is in at most one of the two lists.
/// </summary>
public sealed record RaftConfiguration(IReadOnlyList<string> Voters, IReadOnlyList<string> Learners)
{
    /// <summary>Most voters (and, separately, most learners) a configuration may hold.</summary>
    public const int MaxMembers = 64;

    public bool IsVoter(string id) => Contains(Voters, id);

    public bool IsLearner(string id) => Contains(Learners, id);

    public bool IsMember(string id) => IsVoter(id) || IsLearner(id);

    /// <summary>Why <paramref name="change"/> cannot apply to this configuration, or <see cref="ConfigChangeRefusal.None"/>.</summary>
    public ConfigChangeRefusal Check(ConfigChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Type switch
        {
            ConfigChangeType.AddLearner when IsMember(change.NodeId) => ConfigChangeRefusal.AlreadyMember,
            ConfigChangeType.AddLearner when Learners.Count >= MaxMembers => ConfigChangeRefusal.TooManyMembers,
            ConfigChangeType.Promote when !IsLearner(change.NodeId) => ConfigChangeRefusal.NotLearner,
            ConfigChangeType.Promote when Voters.Count >= MaxMembers => ConfigChangeRefusal.TooManyMembers,
            ConfigChangeType.Remove when !IsMember(change.NodeId) => ConfigChangeRefusal.NotMember,
            ConfigChangeType.Remove when Voters.Count == 1 && IsVoter(change.NodeId) => ConfigChangeRefusal.LastVoter,
            _ => ConfigChangeRefusal.None,
        };
    }

    /// <summary>The configuration after <paramref name="change"/>; throws when <see cref="Check"/> refuses it.</summary>
    public RaftConfiguration Apply(ConfigChange change)
    {
        var refusal = Check(change);
        if (refusal != ConfigChangeRefusal.None)
        {
            throw new InvalidOperationException($"Configuration change {change.Type} {change.NodeId} refused: {refusal}.");
        }

        var id = change.NodeId;
        return change.Type switch
        {
            ConfigChangeType.AddLearner => new RaftConfiguration(Voters, [.. Learners, id]),
            ConfigChangeType.Promote => new RaftConfiguration([.. Voters, id], Without(Learners, id)),
            _ => new RaftConfiguration(Without(Voters, id), Without(Learners, id)),
        };
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless ids are non-empty, distinct, within bounds, and some voter exists.</summary>
    public void Validate(string paramName)
    {
        if (Voters is null || Learners is null)
        {
            throw new ArgumentException("Voters and learners must be lists.", paramName);
        }

        if (Voters.Count > MaxMembers || Learners.Count > MaxMembers)
        {
            throw new ArgumentException($"At most {MaxMembers} voters and {MaxMembers} learners are supported.", paramName);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in Voters.Concat(Learners))
        {
            if (string.IsNullOrWhiteSpace(id) || !seen.Add(id))
            {
                throw new ArgumentException($"Voters and learners must be distinct non-empty ids; '{id}' is not.", paramName);
            }
        }
    }

    public override string ToString() => $"voters [{string.Join(", ", Voters)}] learners [{string.Join(", ", Learners)}]";

    private static bool Contains(IReadOnlyList<string> ids, string id)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (string.Equals(ids[i], id, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string[] Without(IReadOnlyList<string> ids, string id) => [.. ids.Where(x => !string.Equals(x, id, StringComparison.Ordinal))];
}
