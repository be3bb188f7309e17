namespace DistSync.Node.ClusterView;

// GET /cluster/topology's body; property names become snake_case on the wire.

/// <summary>
/// What a client needs to send each request to the node that serves it, as this node knows it now: the members and their
/// URLs, the leader (lock writes), and the ring with everything needed to compute a queue partition's owner and a cache
/// key's home (docs/api.md, Routing). A newer <c>ring.epoch</c> replaces an older one.
/// </summary>
public sealed record TopologyResponse(
    string NodeId,
    IReadOnlyList<TopologyMember> Members,
    string? LeaderId,
    long Term,
    TopologyRing Ring,
    string PartitionKeyFormat,
    string PartitionHash,
    string CacheKeyFormat);

/// <summary>
/// One member of the cluster. <c>url</c> is where clients reach it (null when this node does not know it); <c>role</c> is its
/// place in the Raft configuration: <c>voter</c> today, <c>learner</c> once members can be added.
/// </summary>
public sealed record TopologyMember(string NodeId, string? Url, string Role);

/// <summary>
/// The consistent-hash ring of <c>epoch</c>: <c>members</c> (sorted), each with <c>virtual_nodes</c> points, point
/// <c>i</c> of member <c>m</c> at <c>hash(point_key_format)</c>; <c>hash</c> names the function.
/// </summary>
public sealed record TopologyRing(long Epoch, IReadOnlyList<string> Members, int VirtualNodes, string Hash, string PointKeyFormat);
