using DistSync.Node.Membership;

namespace DistSync.Node.Cache;

/// <summary>A key's home on the queue's ring (the membership Raft commits): the node owning <c>cache/{key}</c>.</summary>
public sealed class CacheRing(MembershipStateMachine membership) : ICacheRing
{
    public ClusterMembership Current => membership.Current;

    /// <summary>The key's home in <paramref name="membership"/>'s epoch.</summary>
    public static string HomeOf(ClusterMembership membership, string key) => membership.Ring.OwnerOf(RingKey(key));

    /// <summary>What a key's home is placed on the ring by (<see cref="RingKey"/>), as clients are told it.</summary>
    public const string RingKeyFormat = "cache/{key}";

    public static string RingKey(string key) => "cache/" + key;
}
