namespace DistSync.Node.Membership;

/// <summary>
/// Which nodes own queue partitions and cache homes, in which epoch. Committed through Raft, so every node holds the
/// same membership for the same epoch and computes the same ring; an owner's writes to Redis carry the epoch.
/// </summary>
public sealed record ClusterMembership(long Epoch, IReadOnlyList<string> Members)
{
    private HashRing? _ring;

    /// <summary>The ring of this epoch's members (built once).</summary>
    public HashRing Ring => _ring ??= new HashRing(Members);

    public bool Equals(ClusterMembership? other) =>
        other is not null && Epoch == other.Epoch && Members.SequenceEqual(other.Members, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Epoch, Members.Count);
}
