namespace DistSync.Node.Membership;

/// <summary>
/// The leader's decision of who belongs in the ring, from what Raft tells it about each peer (heard from within an
/// election timeout or not). Pure: time and reachability are inputs. A node leaves only after being unreachable for
/// <see cref="MembershipOptions.RemoveAfter"/>, and returns only after being reachable for
/// <see cref="MembershipOptions.RejoinAfter"/>, so a flapping link does not move partitions back and forth on every blip.
/// </summary>
public sealed class MembershipPlanner(string self, MembershipOptions options)
{
    private readonly Dictionary<string, (bool Reachable, TimeSpan Since)> _seen = new(StringComparer.Ordinal);

    /// <summary>Forget what was observed (this node stopped leading; a new leader starts from what it sees).</summary>
    public void Reset() => _seen.Clear();

    /// <summary>The members the ring should have now, or null when the current ones are right. <paramref name="peerReachable"/> holds the voters only.</summary>
    public IReadOnlyList<string>? Plan(TimeSpan now, ClusterMembership current, IReadOnlyDictionary<string, bool> peerReachable)
    {
        // Only the peers reported now count: a node removed from the configuration, or a learner, is not a candidate.
        foreach (var gone in _seen.Keys.Where(p => !peerReachable.ContainsKey(p)).ToList())
        {
            _seen.Remove(gone);
        }

        foreach (var (peer, reachable) in peerReachable)
        {
            if (!_seen.TryGetValue(peer, out var seen) || seen.Reachable != reachable)
            {
                _seen[peer] = (reachable, now);
            }
        }

        var desired = new SortedSet<string>(StringComparer.Ordinal) { self };
        foreach (var (peer, (reachable, since)) in _seen)
        {
            var member = current.Members.Contains(peer);
            var steadyFor = now - since;
            var keep = member
                ? reachable || steadyFor < options.RemoveAfter
                : reachable && steadyFor >= options.RejoinAfter;
            if (keep)
            {
                desired.Add(peer);
            }
        }

        // Peers never observed (a node added to the configuration) are left as they are.
        foreach (var member in current.Members.Where(m => !_seen.ContainsKey(m)))
        {
            desired.Add(member);
        }

        return desired.SequenceEqual(current.Members, StringComparer.Ordinal) ? null : [.. desired];
    }
}
