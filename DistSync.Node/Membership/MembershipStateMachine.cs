using System.Text;
using System.Text.Json;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Raft;

namespace DistSync.Node.Membership;

/// <summary>
/// The ring's membership as a replicated state machine, and the cluster's members with the addresses they were added
/// with. Epoch 0 is the founders; each committed ring change names the epoch it replaces, so two leaders' competing
/// proposals cannot both apply, and the epoch rises by one per change. The ring holds voters only: a voter joins it when
/// promoted and leaves it when removed (each a new epoch, at the configuration change's own index), and in between the
/// leader moves a voter it cannot reach out of the ring and back (<see cref="MembershipMonitor"/>). Commands are JSON:
/// they are rare, and readable in a log dump.
/// </summary>
public sealed class MembershipStateMachine(PeerDirectory peers, ClusterFounding founding, ILogger<MembershipStateMachine> logger)
    : IReplicatedStateMachine<MembershipChange, MembershipOutcome>, IConfigurationObserver
{
    public const byte CommandTag = 2;

    private State? _state;

    /// <summary>Raised on the Raft loop after the ring changed (a change applied, or a snapshot restored): keep handlers short.</summary>
    public event Action<ClusterMembership, ClusterMembership>? Changed;

    public byte Tag => CommandTag;

    /// <summary>The ring's members and epoch.</summary>
    public ClusterMembership Current => Read.Ring;

    /// <summary>The voters of the applied configuration: the only nodes the ring may hold.</summary>
    public IReadOnlyList<string> Voters => Read.Voters;

    /// <summary>The learners of the applied configuration.</summary>
    public IReadOnlyList<string> Learners => Read.Learners;

    /// <summary>The address each node added at run time was added with (founders' come from the environment).</summary>
    public IReadOnlyDictionary<string, Uri> Addresses => Read.Addresses;

    private State Read => Volatile.Read(ref _state) ?? Initial();

    public static byte[] Encode(MembershipChange change) => JsonSerializer.SerializeToUtf8Bytes(change);

    byte[] IReplicatedStateMachine<MembershipChange, MembershipOutcome>.Encode(MembershipChange change) => Encode(change);

    public MembershipOutcome Apply(long index, long clockMs, ReadOnlySpan<byte> command)
    {
        MembershipChange? change;
        try
        {
            change = JsonSerializer.Deserialize<MembershipChange>(command);
        }
        catch (JsonException)
        {
            change = null;
        }

        var state = Read;
        var before = state.Ring;
        if (change is null || change.Members is not { Count: > 0 } members || !members.All(state.Voters.Contains))
        {
            return new MembershipOutcome(false, before, "not a ring of this cluster's voters");
        }

        if (change.ExpectedEpoch != before.Epoch)
        {
            return new MembershipOutcome(false, before, $"epoch {change.ExpectedEpoch} was replaced by {before.Epoch}");
        }

        var after = NextRing(before, members);
        Update(state with { Ring = after });
        return new MembershipOutcome(true, after, null);
    }

    public void ConfigurationApplied(long index, ConfigChange change, RaftConfiguration after)
    {
        var state = Read;
        var addresses = new Dictionary<string, Uri>(state.Addresses, StringComparer.Ordinal);
        var ring = state.Ring.Members;
        switch (change.Type)
        {
            case ConfigChangeType.AddLearner when Uri.TryCreate(Encoding.UTF8.GetString(change.Context), UriKind.Absolute, out var url):
                addresses[change.NodeId] = url;
                break;
            case ConfigChangeType.Promote when !ring.Contains(change.NodeId):
                ring = [.. ring, change.NodeId];
                break;
            case ConfigChangeType.Remove:
                addresses.Remove(change.NodeId);
                ring = [.. ring.Where(m => m != change.NodeId)];
                break;
        }

        // The ring never empties: with its last member removed it takes the remaining voters.
        ring = ring.Count > 0 ? ring : after.Voters;
        var next = new State(
            ring.SequenceEqual(state.Ring.Members) ? state.Ring : NextRing(state.Ring, ring),
            [.. after.Voters.Order(StringComparer.Ordinal)],
            [.. after.Learners.Order(StringComparer.Ordinal)],
            addresses);
        logger.LogInformation("Configuration at index {Index}: {Change} {Node}; voters {Voters}, learners {Learners}", index, change.Type, change.NodeId,
            string.Join(",", next.Voters), string.Join(",", next.Learners));
        Update(next);
        if (change.Type == ConfigChangeType.Remove && change.NodeId == peers.SelfId)
        {
            logger.LogWarning("This node ({Node}) was removed from the cluster at index {Index}: it no longer votes or receives the log. Stop it; to bring it back, "
                + "empty its data folder and start it again, then add it (POST /cluster/members).", peers.SelfId, index);
        }
    }

    public byte[] Snapshot()
    {
        var state = Read;
        return JsonSerializer.SerializeToUtf8Bytes(new MembershipSnapshot(state.Ring.Epoch, [.. state.Ring.Members], [.. state.Voters], [.. state.Learners],
            state.Addresses.ToDictionary(a => a.Key, a => a.Value.ToString(), StringComparer.Ordinal)));
    }

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var initial = Initial();
        var restored = snapshot.IsEmpty ? null : JsonSerializer.Deserialize<MembershipSnapshot>(snapshot);
        Update(restored is null ? initial : new State(
            new ClusterMembership(restored.Epoch, restored.Members),
            // A snapshot taken before the configuration was recorded here: no change had been made, so the founders vote.
            restored.Voters ?? initial.Voters,
            restored.Learners ?? [],
            (restored.Addresses ?? []).ToDictionary(a => a.Key, a => new Uri(a.Value), StringComparer.Ordinal)));
    }

    private State Initial()
    {
        var founders = founding.Founders;
        return new State(new ClusterMembership(0, founders), founders, [], new Dictionary<string, Uri>(StringComparer.Ordinal));
    }

    private ClusterMembership NextRing(ClusterMembership before, IEnumerable<string> members)
    {
        var after = new ClusterMembership(before.Epoch + 1, [.. members.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
        logger.LogInformation("Ring epoch {Epoch}: members {Members} (was {Before})", after.Epoch, string.Join(",", after.Members), string.Join(",", before.Members));
        return after;
    }

    private void Update(State next)
    {
        var before = Read.Ring;
        Volatile.Write(ref _state, next);
        peers.SetMembers([.. next.Voters, .. next.Learners], next.Addresses);
        if (!before.Equals(next.Ring))
        {
            Changed?.Invoke(before, next.Ring);
        }
    }

    private sealed record State(ClusterMembership Ring, IReadOnlyList<string> Voters, IReadOnlyList<string> Learners, IReadOnlyDictionary<string, Uri> Addresses);

    private sealed record MembershipSnapshot(long Epoch, string[] Members, string[]? Voters = null, string[]? Learners = null, Dictionary<string, string>? Addresses = null);
}

/// <summary>Replace the membership of <paramref name="ExpectedEpoch"/> with <paramref name="Members"/>.</summary>
public sealed record MembershipChange(long ExpectedEpoch, IReadOnlyList<string> Members);

public sealed record MembershipOutcome(bool Applied, ClusterMembership Membership, string? Refusal);
