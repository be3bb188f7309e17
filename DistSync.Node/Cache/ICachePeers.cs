using DistSync.Node.Membership;

namespace DistSync.Node.Cache;

/// <summary>How a node reaches other nodes' cache roles. Throws <see cref="CachePeerUnreachableException"/> when a peer does not answer.</summary>
public interface ICachePeers
{
    Task<HomeReply> AskHomeAsync(string home, HomeRequest request, CancellationToken cancellationToken);

    Task<RevokeReply> RevokeAsync(string holder, RevokeRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The membership that gives each key its home. Read it once per request and take the epoch and the home from that one
/// snapshot: read twice, the two could straddle a ring change and name a home for an epoch whose ring gives the key to
/// another node.
/// </summary>
public interface ICacheRing
{
    ClusterMembership Current { get; }
}

/// <summary>
/// A peer did not answer. <see cref="MaybeDelivered"/>: the request may have reached it (a timeout, a reset), so a
/// write may or may not have been applied; false when it was refused before sending (no connection).
/// </summary>
public sealed class CachePeerUnreachableException(string peer, string reason, bool maybeDelivered) : Exception($"{peer} did not answer: {reason}")
{
    public string Peer { get; } = peer;

    public bool MaybeDelivered { get; } = maybeDelivered;
}

/// <summary>The operation could not complete; <see cref="Http.UnavailableException.MayHaveBeenApplied"/> says whether a write may have taken effect.</summary>
public sealed class CacheUnavailableException(string message, bool maybeApplied) : Http.UnavailableException(message, maybeApplied)
{
    public override string Title => "Cache home unavailable";
}
