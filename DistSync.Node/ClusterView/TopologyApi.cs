using DistSync.Node.Cache;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Membership;
using DistSync.Node.Queue;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.ClusterView;

/// <summary>
/// <c>GET /cluster/topology</c>: the members, the leader and the ring, as data a client routes by. It names nothing of
/// anyone's, so a token limited to prefixes may read it too. Read from this node's state, without asking the leader: it
/// is a routing hint, and a request sent to the wrong node is still served (forwarded) there.
/// </summary>
public static class TopologyApi
{
    public static IEndpointRouteBuilder MapTopologyApi(this IEndpointRouteBuilder app)
    {
        // Outside the /cluster group, whose filter keeps prefix-limited tokens from the whole cluster's state.
        app.MapGet("/cluster/topology", GetTopology).WithTags("Cluster").RequireRole(Role.Reader)
            .WithName("GetClusterTopology")
            .WithSummary("Members and their URLs, the leader, and the ring: what a client needs to route each request to the node that serves it.");
        return app;
    }

    public static Ok<TopologyResponse> GetTopology(RaftHost raft, PeerDirectory peers, MembershipStateMachine membership, IServer server)
    {
        var self = ClientUrl(server);
        // The applied configuration's members: voters, and learners (which receive the log but hold no ring share).
        var members = membership.Voters.Select(id => (Id: id, Role: "voter")).Concat(membership.Learners.Select(id => (Id: id, Role: "learner")))
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .Select(m => new TopologyMember(m.Id, m.Id == peers.SelfId ? self : peers.TryGetAddress(m.Id, out var address) ? Authority(address) : null, m.Role))
            .ToList();
        var ring = membership.Current;
        return TypedResults.Ok(new TopologyResponse(
            raft.NodeId,
            members,
            raft.LeaderId,
            raft.Term,
            new TopologyRing(ring.Epoch, ring.Members, HashRing.DefaultVirtualNodes, HashRing.HashName, HashRing.PointKeyFormat),
            QueueRing.RingKeyFormat,
            HashRing.HashName,
            CacheRing.RingKeyFormat));
    }

    /// <summary>
    /// This node's URL for clients: the first address it listens on that names a host (a wildcard such as 0.0.0.0 or [::]
    /// names none; then null, and a client uses the URL it reached this node by).
    /// </summary>
    private static string? ClientUrl(IServer server) =>
        server.Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => Uri.TryCreate(a, UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .Where(u => u.Host is not ("0.0.0.0" or "[::]" or "::" or "+" or "*"))
            .OrderBy(u => u.Scheme == Uri.UriSchemeHttp ? 0 : 1)
            .Select(Authority)
            .FirstOrDefault();

    private static string Authority(Uri uri) => uri.GetLeftPart(UriPartial.Authority);
}
