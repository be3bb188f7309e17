using System.Text;
using DistSync.Node.Http;
using DistSync.Node.Queue;
using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.Queue;

/// <summary>The queue's pure parts: topics as replicated state, partitioning, ids and receipts, records, validation.</summary>
public sealed class QueueCoreTests
{
    [Fact]
    public void TopicRegistry_FirstCreationWins_OnEveryNode()
    {
        var a = new TopicRegistry();
        var b = new TopicRegistry();
        var first = TopicRegistry.Encode(new TopicConfig("orders", 4, 3, 30));
        var second = TopicRegistry.Encode(new TopicConfig("orders", 16, 9, 5));

        foreach (var registry in new[] { a, b })
        {
            registry.Apply(1, 0, first);
            var outcome = (TopicOutcome)registry.Apply(2, 0, second)!;
            Assert.Equal(new TopicConfig("orders", 4, 3, 30), outcome.Topic);
        }

        Assert.Equal(a.Topics, b.Topics);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(QueueLimits.MaxPartitions + 1)]
    public void TopicRegistry_PartitionsOutOfRange_Refused(int partitions)
    {
        var registry = new TopicRegistry();

        var outcome = (TopicOutcome)registry.Apply(1, 0, TopicRegistry.Encode(new TopicConfig("t", partitions, 5, 30)))!;

        Assert.Null(outcome.Topic);
        Assert.Empty(registry.Topics);
    }

    [Fact]
    public void TopicRegistry_PastTheClusterPartitionBound_Refused_NothingCreated()
    {
        var registry = new TopicRegistry();
        var index = 0L;
        TopicOutcome Create(string name, int partitions) => (TopicOutcome)registry.Apply(++index, 0, TopicRegistry.Encode(new TopicConfig(name, partitions, 5, 30)))!;

        // 312 topics of 256 partitions are 79,872; one more would make 80,128, past the cluster's 80,000.
        var created = Enumerable.Range(0, 312).Select(i => Create($"t{i}", 256)).ToList();
        var past = Create("t312", 256);
        var fits = Create("t313", 128);

        Assert.All(created, c => Assert.NotNull(c.Topic));
        Assert.Null(past.Topic);
        Assert.Equal(("partitions", TopicLimits.MaxPartitions), (past.Limit, past.Max));
        Assert.False(registry.TryGet("t312", out _));
        Assert.NotNull(fits.Topic); // 80,000 exactly: at the bound, not past it
        Assert.Equal(313, registry.Topics.Count);
    }

    [Fact]
    public void TopicRegistry_TokenPastItsTopicBound_Refused_OtherTokensAndTheClusterGoOn()
    {
        var registry = new TopicRegistry();
        var index = 0L;
        TopicOutcome Create(string name, string token) => (TopicOutcome)registry.Apply(++index, 0, TopicRegistry.Encode(new TopicConfig(name, 1, 5, 30, token)))!;

        var created = Enumerable.Range(0, TopicLimits.MaxTopicsPerToken).Select(i => Create($"a{i}", "a")).ToList();
        var past = Create("a-past", "a");
        var again = Create("a7", "a"); // an existing topic is no creation
        var other = Create("b0", "b");

        Assert.All(created, c => Assert.NotNull(c.Topic));
        Assert.Equal((null, "topics_per_token", 1000), (past.Topic, past.Limit, past.Max));
        Assert.Contains("'a'", past.Refusal, StringComparison.Ordinal);
        Assert.NotNull(again.Topic);
        Assert.NotNull(other.Topic);
        Assert.Equal(1001, registry.Topics.Count);
    }

    [Fact]
    public void TopicRegistry_PastTheClusterTopicBound_RefusedNamingIt()
    {
        var registry = new TopicRegistry();
        var index = 0L;
        TopicOutcome Create(string name, string? token) => (TopicOutcome)registry.Apply(++index, 0, TopicRegistry.Encode(new TopicConfig(name, 1, 5, 30, token)))!;

        // Eleven tokens of at most 1,000 topics each: the cluster's 10,000 is reached first.
        var created = Enumerable.Range(0, TopicLimits.MaxTopics).Select(i => Create($"t{i}", $"token{i % 11}")).ToList();
        var past = Create("past", "token-new");

        Assert.All(created, c => Assert.NotNull(c.Topic));
        Assert.Equal((null, "topics", 10_000), (past.Topic, past.Limit, past.Max));
    }

    [Fact]
    public void TopicRegistry_Snapshot_KeepsEachTokensCount()
    {
        var registry = new TopicRegistry();
        var index = 0L;
        foreach (var i in Enumerable.Range(0, 31))
        {
            registry.Apply(++index, 0, TopicRegistry.Encode(new TopicConfig($"a{i}", 256, 5, 30, "a")));
        }

        var restored = new TopicRegistry();
        restored.Restore(registry.Snapshot());
        var past = (TopicOutcome)restored.Apply(++index, 0, TopicRegistry.Encode(new TopicConfig("a-past", 256, 5, 30, "a")))!;
        var fits = (TopicOutcome)restored.Apply(++index, 0, TopicRegistry.Encode(new TopicConfig("a-fits", 64, 5, 30, "a")))!;

        Assert.Equal(("partitions_per_token", TopicLimits.MaxPartitionsPerToken), (past.Limit, past.Max));
        Assert.Equal("a", fits.Topic?.CreatedBy);
    }

    [Fact]
    public void TopicRegistry_Snapshot_RestoresTheSameTopics()
    {
        var registry = new TopicRegistry();
        registry.Apply(1, 0, TopicRegistry.Encode(new TopicConfig("a", 8, 5, 30)));
        registry.Apply(2, 0, TopicRegistry.Encode(new TopicConfig("b/c", 2, 1, 0)));
        var restored = new TopicRegistry();

        restored.Restore(registry.Snapshot());

        Assert.Equal(registry.Topics, restored.Topics);
    }

    [Fact]
    public void PartitionOf_SameKey_SamePartitionAlways_AndEveryPartitionUsed()
    {
        var partitions = Enumerable.Range(0, 4000).Select(i => QueueRing.PartitionOf($"user-{i}", 8)).ToList();

        Assert.Equal(partitions, Enumerable.Range(0, 4000).Select(i => QueueRing.PartitionOf($"user-{i}", 8)));
        Assert.All(Enumerable.Range(0, 8), p => Assert.InRange(partitions.Count(x => x == p), 350, 650));
    }

    [Fact]
    public void NewId_NamesItsPartition_AndOnlyWellFormedIdsParse()
    {
        var id = QueueRing.NewId(7);

        Assert.True(QueueRing.TryPartitionOfId(id, 8, out var partition));
        Assert.Equal(7, partition);
        Assert.False(QueueRing.TryPartitionOfId(id, 7, out _)); // the topic has no partition 7
        Assert.False(QueueRing.TryPartitionOfId("7-short", 8, out _));
        Assert.False(QueueRing.TryPartitionOfId("x-" + new string('a', 32), 8, out _));
        Assert.False(QueueRing.TryPartitionOfId("", 8, out _));
    }

    [Fact]
    public void Receipt_RoundTrips_AndRefusesOthers()
    {
        var id = QueueRing.NewId(3);

        Assert.True(Receipts.TryParse(Receipts.Format(id, 4), out var parsedId, out var delivery));
        Assert.Equal((id, 4), (parsedId, delivery));
        Assert.False(Receipts.TryParse(id, out _, out _));
        Assert.False(Receipts.TryParse($"{id}:0", out _, out _));
    }

    [Theory]
    [InlineData("{\"a\": [1, 2.50, \"é\\u00e9\"],\n  \"b\": null}")]
    [InlineData("\"a line\\nbreak\"")]
    [InlineData("12345678901234567890.000")]
    [InlineData("[]")]
    public void MessageRecord_Payload_ComesBackByteForByte(string payload)
    {
        var record = new MessageRecord(1_700_000_000_123, "key\nwith newline", "d-1", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", payload);

        var decoded = MessageRecord.Decode(record.Encode());

        Assert.Equal(record, decoded);
        Assert.Equal(Encoding.UTF8.GetBytes(payload), Encoding.UTF8.GetBytes(decoded.Payload));
    }

    [Theory]
    [InlineData(null, "topic", "is required")]
    [InlineData("has space", "topic", "may contain only letters, digits and . _ - : /")]
    [InlineData("{hash}", "topic", "may contain only letters, digits and . _ - : /")]
    public void Validator_BadTopic_NamesTheFieldAndRule(string? topic, string field, string rule) =>
        Assert.Equal(new DistSync.Node.Http.FieldError(field, rule), QueueValidator.Topic(topic));

    [Fact]
    public void Validator_Messages_EveryLimit()
    {
        var ok = new RawJson("{}");
        Assert.Null(QueueValidator.Message("", ok, "k", "d", 1));
        Assert.Equal("payload", QueueValidator.Message("", null, null, null, null)?.Field);
        Assert.Equal("payload", QueueValidator.Message("", new RawJson($"\"{new string('x', QueueLimits.MaxPayloadBytes)}\""), null, null, null)?.Field);
        Assert.Equal("key", QueueValidator.Message("", ok, new string('k', QueueLimits.MaxKeyBytes + 1), null, null)?.Field);
        Assert.Equal("messages[3].dedup_id", QueueValidator.Message("messages[3].", ok, null, "", null)?.Field);
        Assert.Equal("delay_sec", QueueValidator.Message("", ok, null, null, -1)?.Field);
        Assert.Equal("wait_sec", QueueValidator.Consume(null, 21, null)?.Field);
        Assert.Equal("visibility_timeout_sec", QueueValidator.Consume(double.NaN, null, null)?.Field);
        Assert.Equal("max_messages", QueueValidator.Consume(null, null, 101)?.Field);
        Assert.Equal("messages", QueueValidator.Batch("messages", 0)?.Field);
        Assert.Equal("messages", QueueValidator.Batch("messages", 101)?.Field);
    }

    [Fact]
    public void OwnedPartitions_80000Partitions_DueLooksAtTheDueOnesAndTheNextOnly()
    {
        var time = new FakeTimeProvider();
        var owned = new OwnedPartitions(time);
        for (var p = 0; p < 80_000; p++)
        {
            owned.Set($"t{p / 8}", p % 8, epoch: 1, ready: 1, dueInMs: -1, version: 1);
        }

        owned.Set("t5", 3, epoch: 1, ready: 0, dueInMs: 1_000, version: 2);
        owned.Set("t9", 0, epoch: 1, ready: 0, dueInMs: 2_000, version: 2);
        owned.Set("t7", 1, epoch: 1, ready: 0, dueInMs: 500, version: 2);
        var visited = owned.Visited;

        var idle = owned.Due(owned.NowMs, epoch: 1);
        time.Advance(TimeSpan.FromMilliseconds(1_000));
        var (due, next) = owned.Due(owned.NowMs, epoch: 1);

        Assert.Equal((0, owned.NowMs - 500), (idle.Due.Count, idle.NextMs));
        Assert.Equal([("t7", 1), ("t5", 3)], due);
        Assert.Equal(owned.NowMs + 1_000, next);
        Assert.Equal(1 + 3, owned.Visited - visited);
    }

    [Fact]
    public void OwnedPartitions_WakesTheSchedulerOnlyForADeadlineBeforeItsPlannedWakeUp()
    {
        var time = new FakeTimeProvider();
        var owned = new OwnedPartitions(time);
        var wakes = 0;
        owned.DeadlineMovedEarlier += () => wakes++;
        owned.Set("t", 0, epoch: 1, ready: 0, dueInMs: 1_000, version: 1);
        owned.Due(owned.NowMs, epoch: 1); // the scheduler plans to wake in 1 s

        owned.Set("t", 1, epoch: 1, ready: 0, dueInMs: 5_000, version: 1);
        var later = wakes;
        owned.Set("t", 2, epoch: 1, ready: 0, dueInMs: 200, version: 1);

        Assert.Equal((1, 2), (later, wakes)); // the first deadline woke it; the one after its plan did not; the one before did
    }

    [Fact]
    public void OwnedPartitions_TakeChanged_EachChangedPartitionOnce_OldestFirst()
    {
        var owned = new OwnedPartitions(new FakeTimeProvider());
        owned.Set("a", 0, epoch: 1, ready: 1, dueInMs: -1, version: 1);
        owned.Set("b", 0, epoch: 1, ready: 1, dueInMs: -1, version: 1);
        owned.Set("a", 0, epoch: 1, ready: 2, dueInMs: -1, version: 2);

        var first = owned.TakeChanged(10);
        var second = owned.TakeChanged(10);

        Assert.Equal([(("a", 0), 2L), (("b", 0), 1L)], first.Select(c => (c.Key, c.View!.Ready)));
        Assert.Empty(second);
    }

    [Fact]
    public void OwnedPartitions_ALateAnswer_NeverReplacesANewerOne()
    {
        var owned = new OwnedPartitions(new FakeTimeProvider());
        owned.Set("t", 0, epoch: 1, ready: 1, dueInMs: -1, version: 8); // a publish, answered second
        owned.Set("t", 0, epoch: 1, ready: 0, dueInMs: -1, version: 7); // the consume before it, answered late

        Assert.Equal(1, owned.Get("t", 0, 1)!.Ready);

        owned.Set("t", 0, epoch: 2, ready: 0, dueInMs: -1, version: 9); // a new epoch's take-over
        owned.Set("t", 0, epoch: 1, ready: 5, dueInMs: -1, version: 10); // an answer to the old epoch, arriving after it
        Assert.Null(owned.Get("t", 0, 1));
        Assert.Equal(0, owned.Get("t", 0, 2)!.Ready);
    }

    [Fact]
    public void OwnedPartitions_AnEarlierDeadline_WakesTheScheduler_ALaterOneDoesNot()
    {
        var owned = new OwnedPartitions(new FakeTimeProvider());
        var wakes = 0;
        owned.DeadlineMovedEarlier += () => wakes++;

        owned.Set("t", 0, 1, 0, dueInMs: 5_000, version: 1);
        owned.Set("t", 0, 1, 0, dueInMs: 9_000, version: 2);
        owned.Set("t", 0, 1, 0, dueInMs: 2_000, version: 3);
        owned.Set("t", 0, 1, 0, dueInMs: 1_000, version: 2); // late: ignored, no wake

        Assert.Equal(2, wakes);
        Assert.Equal(owned.NowMs + 2_000, owned.Get("t", 0, 1)!.NextDueMs);
    }
}
