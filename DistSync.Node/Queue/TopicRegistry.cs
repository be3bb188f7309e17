using System.Collections.Concurrent;
using System.Text.Json;
using DistSync.Node.Consensus;

namespace DistSync.Node.Queue;

/// <summary>
/// A topic's fixed settings: partitions never change after creation (a message's partition is a hash modulo them).
/// <paramref name="CreatedBy"/> is the token whose publish created it (null: auth did not name one, or created before
/// tokens were counted); its topics and partitions count against that token's bounds.
/// </summary>
public sealed record TopicConfig(string Name, int Partitions, int MaxDeliveries, int VisibilityTimeoutSec, string? CreatedBy = null);

/// <summary>
/// Topics as a replicated state machine: created by the first publish through Raft, so every node knows every topic's
/// partition count before it routes a message, and the first creation's settings win on every node. Bounded (see
/// <see cref="TopicLimits"/>) for the cluster and per creating token, decided here so every node refuses the same ones.
/// </summary>
public sealed class TopicRegistry : IReplicatedStateMachine<TopicConfig, TopicOutcome>
{
    public const byte CommandTag = 3;

    private ConcurrentDictionary<string, TopicConfig> _topics = new(StringComparer.Ordinal);

    // Only the Raft loop (Apply, Restore) reads or writes these.
    private Dictionary<string, (int Topics, int Partitions)> _byToken = new(StringComparer.Ordinal);
    private int _partitions;

    /// <summary>Raised on the Raft loop when a topic is created (that topic), or a snapshot restored (null: any topic may be new).</summary>
    public event Action<TopicConfig?>? Changed;

    public byte Tag => CommandTag;

    public IReadOnlyCollection<TopicConfig> Topics => [.. _topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    public bool TryGet(string topic, out TopicConfig config) => _topics.TryGetValue(topic, out config!);

    public static byte[] Encode(TopicConfig create) => JsonSerializer.SerializeToUtf8Bytes(create);

    byte[] IReplicatedStateMachine<TopicConfig, TopicOutcome>.Encode(TopicConfig create) => Encode(create);

    public TopicOutcome Apply(long index, long clockMs, ReadOnlySpan<byte> command)
    {
        TopicConfig? create;
        try
        {
            create = JsonSerializer.Deserialize<TopicConfig>(command);
        }
        catch (JsonException)
        {
            create = null;
        }

        if (create is null || create.Partitions is < 1 or > QueueLimits.MaxPartitions || create.MaxDeliveries < 1 || create.VisibilityTimeoutSec < 0)
        {
            return new TopicOutcome(null, "not a valid topic");
        }

        if (_topics.TryGetValue(create.Name, out var existing))
        {
            return new TopicOutcome(existing, null);
        }

        if (Refuse(create) is { } refusal)
        {
            return refusal;
        }

        _topics[create.Name] = create;
        _partitions += create.Partitions;
        if (create.CreatedBy is { } token)
        {
            var (topics, partitions) = _byToken.GetValueOrDefault(token);
            _byToken[token] = (topics + 1, partitions + create.Partitions);
        }

        Changed?.Invoke(create);
        return new TopicOutcome(create, null);
    }

    public byte[] Snapshot() => JsonSerializer.SerializeToUtf8Bytes(Topics.ToArray());

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var topics = snapshot.IsEmpty ? [] : JsonSerializer.Deserialize<TopicConfig[]>(snapshot) ?? [];
        _topics = new ConcurrentDictionary<string, TopicConfig>(topics.ToDictionary(t => t.Name, StringComparer.Ordinal), StringComparer.Ordinal);
        _partitions = topics.Sum(t => t.Partitions);
        _byToken = topics.Where(t => t.CreatedBy is not null).GroupBy(t => t.CreatedBy!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (g.Count(), g.Sum(t => t.Partitions)), StringComparer.Ordinal);
        Changed?.Invoke(null);
    }

    /// <summary>The bound this creation would pass, if any: the token's own first (what its holder can act on), then the cluster's.</summary>
    private TopicOutcome? Refuse(TopicConfig create)
    {
        if (create.CreatedBy is { } token)
        {
            var (topics, partitions) = _byToken.GetValueOrDefault(token);
            if (topics >= TopicLimits.MaxTopicsPerToken)
            {
                return Refused("topics_per_token", TopicLimits.MaxTopicsPerToken,
                    $"Token '{token}' has created {topics} topics, the most one token may");
            }

            if (partitions + create.Partitions > TopicLimits.MaxPartitionsPerToken)
            {
                return Refused("partitions_per_token", TopicLimits.MaxPartitionsPerToken,
                    $"The topics token '{token}' created have {partitions} partitions; {create.Partitions} more would pass the most one token may have");
            }
        }

        if (_topics.Count >= TopicLimits.MaxTopics)
        {
            return Refused("topics", TopicLimits.MaxTopics, $"The cluster has {_topics.Count} topics, the most it may have");
        }

        return _partitions + create.Partitions > TopicLimits.MaxPartitions
            ? Refused("partitions", TopicLimits.MaxPartitions,
                $"The cluster's topics have {_partitions} partitions; {create.Partitions} more would pass the most it may have")
            : null;

        TopicOutcome Refused(string limit, int max, string why) => new(null, $"{why} ({limit}: {max}); topic '{create.Name}' was not created.", limit, max);
    }
}

/// <summary>The topic as it now exists, or why it could not be created; <paramref name="Limit"/> names the bound it would have passed.</summary>
public sealed record TopicOutcome(TopicConfig? Topic, string? Refusal, string? Limit = null, int Max = 0);
