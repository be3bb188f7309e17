using System.Text.Json;
using System.Text.Json.Nodes;

namespace DistSync.Node.Membership;

/// <summary>
/// The membership part of a backup, rewritten for the cluster a restore founds: the new founders are its voters and the
/// ring's members, with no learners and no run-time addresses (the old cluster's nodes are not this one's), and the
/// epoch raised by the restore's bump.
/// </summary>
/// <remarks>
/// Why a bump and not the highest fence read from Redis: every founder must write the same snapshot, byte for byte, or
/// their state machines would differ from the first entry on; a Redis scan on each founder could see different fences.
/// The bump is also enough: the old cluster's ring epoch rises by one per committed ring change, each change is a log
/// entry, so every epoch it wrote to a queue partition's or a cache key's fence after the backup is at most the saved
/// epoch plus the entries it committed since, which the bump must exceed anyway for the fencing tokens.
/// </remarks>
public static class MembershipRestore
{
    /// <summary>The membership snapshot <paramref name="saved"/> (empty: the old cluster's initial state, epoch 0) for a new cluster of <paramref name="founders"/>.</summary>
    public static byte[] ForNewCluster(ReadOnlySpan<byte> saved, IReadOnlyList<string> founders, long epochBump)
    {
        ArgumentNullException.ThrowIfNull(founders);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochBump, 1);
        if (founders.Count == 0)
        {
            throw new ArgumentException("A restored cluster needs at least one founder.", nameof(founders));
        }

        var epoch = saved.IsEmpty ? 0 : JsonNode.Parse(saved)?["Epoch"]?.GetValue<long>() ?? 0;
        string[] members = [.. founders.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        // The shape MembershipStateMachine.Snapshot writes and Restore reads.
        var rewritten = new JsonObject
        {
            ["Epoch"] = checked(epoch + epochBump),
            ["Members"] = new JsonArray([.. members.Select(m => JsonValue.Create(m))]),
            ["Voters"] = new JsonArray([.. members.Select(m => JsonValue.Create(m))]),
            ["Learners"] = new JsonArray(),
            ["Addresses"] = new JsonObject(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(rewritten);
    }
}
