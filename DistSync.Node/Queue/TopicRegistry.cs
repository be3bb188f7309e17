using System.Collections.Concurrent;
using System.Text.Json;
using DistSync.Node.Consensus;

namespace DistSync.Node.Queue;

/// <summary>A topic's fixed settings: partitions never change after creation (a message's partition is a hash modulo them).</summary>
public sealed record TopicConfig(string Name, int Partitions, int MaxDeliveries, int VisibilityTimeoutSec);

/// <summary>
/// Topics as a replicated state machine: created by the first publish through Raft, so every node knows every topic's
/// partition count before it routes a message, and the first creation's settings win on every node.
/// </summary>
public sealed class TopicRegistry : IReplicatedStateMachine
{
    public const byte CommandTag = 3;

    /// <summary>Bounded, so a client publishing to random names cannot grow every node's state without end.</summary>
    public const int MaxTopics = 10_000;

    private ConcurrentDictionary<string, TopicConfig> _topics = new(StringComparer.Ordinal);

    /// <summary>Raised on the Raft loop when a topic is created (or a snapshot restored).</summary>
    public event Action? Changed;

    public byte Tag => CommandTag;

    public IReadOnlyCollection<TopicConfig> Topics => [.. _topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    public bool TryGet(string topic, out TopicConfig config) => _topics.TryGetValue(topic, out config!);

    public static byte[] Encode(TopicConfig create) => JsonSerializer.SerializeToUtf8Bytes(create);

    public object? Apply(long index, long clockMs, ReadOnlySpan<byte> command)
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

        if (_topics.Count >= MaxTopics)
        {
            return new TopicOutcome(null, $"at most {MaxTopics} topics");
        }

        _topics[create.Name] = create;
        Changed?.Invoke();
        return new TopicOutcome(create, null);
    }

    public byte[] Snapshot() => JsonSerializer.SerializeToUtf8Bytes(Topics.ToArray());

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var topics = snapshot.IsEmpty ? [] : JsonSerializer.Deserialize<TopicConfig[]>(snapshot) ?? [];
        _topics = new ConcurrentDictionary<string, TopicConfig>(topics.ToDictionary(t => t.Name, StringComparer.Ordinal), StringComparer.Ordinal);
        Changed?.Invoke();
    }
}

/// <summary>The topic as it now exists, or why it could not be created.</summary>
public sealed record TopicOutcome(TopicConfig? Topic, string? Refusal);
