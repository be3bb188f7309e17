using System.Text.Json;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;

namespace DistSync.Node.Membership;

/// <summary>
/// The ring's membership as a replicated state machine. Epoch 0 is every configured node; each committed change
/// names the epoch it replaces, so two leaders' competing proposals cannot both apply, and the epoch rises by one per
/// change. Commands are JSON: they are rare (a node lost or back), and readable in a log dump.
/// </summary>
public sealed class MembershipStateMachine(PeerDirectory peers, ILogger<MembershipStateMachine> logger) : IReplicatedStateMachine<MembershipChange, MembershipOutcome>
{
    public const byte CommandTag = 2;

    private readonly ClusterMembership _initial = new(0, peers.AllIds);
    private ClusterMembership _current = new(0, peers.AllIds);

    /// <summary>Raised on the Raft loop after a change is applied (or a snapshot restored): keep handlers short.</summary>
    public event Action<ClusterMembership, ClusterMembership>? Changed;

    public byte Tag => CommandTag;

    public ClusterMembership Current => Volatile.Read(ref _current);

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

        var before = Current;
        if (change is null || change.Members is not { Count: > 0 } members || !members.All(_initial.Members.Contains))
        {
            return new MembershipOutcome(false, before, "not a membership change of this cluster's nodes");
        }

        if (change.ExpectedEpoch != before.Epoch)
        {
            return new MembershipOutcome(false, before, $"epoch {change.ExpectedEpoch} was replaced by {before.Epoch}");
        }

        var after = new ClusterMembership(before.Epoch + 1, [.. members.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
        Volatile.Write(ref _current, after);
        logger.LogInformation("Ring epoch {Epoch}: members {Members} (was {Before})", after.Epoch, string.Join(",", after.Members), string.Join(",", before.Members));
        Changed?.Invoke(before, after);
        return new MembershipOutcome(true, after, null);
    }

    public byte[] Snapshot() => JsonSerializer.SerializeToUtf8Bytes(new MembershipSnapshot(Current.Epoch, [.. Current.Members]));

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var before = Current;
        var after = snapshot.IsEmpty
            ? _initial
            : JsonSerializer.Deserialize<MembershipSnapshot>(snapshot) is { } s ? new ClusterMembership(s.Epoch, s.Members) : _initial;
        Volatile.Write(ref _current, after);
        if (!after.Equals(before))
        {
            Changed?.Invoke(before, after);
        }
    }

    private sealed record MembershipSnapshot(long Epoch, string[] Members);
}

/// <summary>Replace the membership of <paramref name="ExpectedEpoch"/> with <paramref name="Members"/>.</summary>
public sealed record MembershipChange(long ExpectedEpoch, IReadOnlyList<string> Members);

public sealed record MembershipOutcome(bool Applied, ClusterMembership Membership, string? Refusal);
