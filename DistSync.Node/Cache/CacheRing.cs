using DistSync.Node.Cluster;

namespace DistSync.Node.Cache;

/// <summary>A key's home on the queue's ring (the membership Raft commits): the node owning <c>cache/{key}</c>.</summary>
public sealed class CacheRing(MembershipStateMachine membership) : ICacheRing
{
    public long Epoch => membership.Current.Epoch;

    public string HomeOf(string key) => membership.Current.Ring.OwnerOf(RingKey(key));

    public static string RingKey(string key) => "cache/" + key;
}
