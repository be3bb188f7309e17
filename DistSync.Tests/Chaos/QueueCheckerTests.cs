using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;

namespace DistSync.Tests.Chaos;

/// <summary>The queue checker: at-least-once delivery, no delivery after an ack, dedup ids, dead letters.</summary>
public sealed class QueueCheckerTests
{
    private static ChaosOp Publish(string payload, string? id, long from, long to, Outcome outcome = Outcome.Ok) =>
        new("p", "node1", OpKinds.Publish, "dedup-" + payload, payload, from, outcome == Outcome.Unknown ? long.MaxValue : to, outcome) { Id = id };

    private static ChaosOp Consume(string payload, string id, long from, long to) =>
        new("c", "node2", OpKinds.Consume, "t", payload, from, to, Outcome.Ok) { Id = id };

    private static ChaosOp Ack(string id, long from, long to) => new("c", "node2", OpKinds.Ack, "t", null, from, to, Outcome.Ok) { Id = id };

    private static ChaosOp Dead(string payload, string id) => new("drain", "node1", OpKinds.DeadLetter, "t", payload, 900, 910, Outcome.Ok) { Id = id };

    [Fact]
    public void Check_PublishedConsumedAcked_AndARedeliveryBeforeTheAck_IsClean()
    {
        ChaosOp[] history = [Publish("m1", "1", 0, 10), Consume("m1", "1", 20, 30), Consume("m1", "1", 40, 50), Ack("1", 60, 70)];

        Assert.Empty(QueueChecker.Check(history));
    }

    [Fact]
    public void Check_AcknowledgedPublishNeverDelivered_IsLost()
    {
        ChaosOp[] history = [Publish("m1", "1", 0, 10), Publish("m2", "2", 0, 10), Consume("m2", "2", 20, 30)];

        var violation = Assert.Single(QueueChecker.Check(history));

        Assert.Equal("message 1 was acknowledged as published and never delivered, nor dead-lettered", violation.Message);
    }

    [Fact]
    public void Check_UnknownPublishNeverDelivered_IsNoViolation_AndADeadLetterCountsAsAccounted()
    {
        ChaosOp[] history = [Publish("m1", null, 0, 0, Outcome.Unknown), Publish("m2", "2", 0, 10), Dead("m2", "2")];

        Assert.Empty(QueueChecker.Check(history));
    }

    [Fact]
    public void Check_DeliveryInvokedAfterTheAckReturned_IsCaught()
    {
        ChaosOp[] history = [Publish("m1", "1", 0, 10), Consume("m1", "1", 20, 30), Ack("1", 40, 50), Consume("m1", "1", 60, 70)];

        var violation = Assert.Single(QueueChecker.Check(history));

        Assert.Contains("delivered again by a consume invoked after its ack returned", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ConsumeOverlappingTheAck_MayStillDeliver()
    {
        ChaosOp[] history = [Publish("m1", "1", 0, 10), Consume("m1", "1", 20, 30), Ack("1", 40, 50), Consume("m1", "1", 45, 70)];

        Assert.Empty(QueueChecker.Check(history));
    }

    [Fact]
    public void Check_RetriedPublishQueuedTwice_IsADedupViolation()
    {
        ChaosOp[] history = [Publish("m1", null, 0, 0, Outcome.Unknown), Publish("m1", "2", 20, 30), Consume("m1", "1", 40, 50), Consume("m1", "2", 60, 70)];

        var violation = Assert.Single(QueueChecker.Check(history));

        Assert.Equal("one dedup id queued 2 messages (1, 2)", violation.Message);
    }

    [Fact]
    public void Check_DeliveryNobodyPublished_IsAPhantom()
    {
        ChaosOp[] history = [Consume("ghost", "9", 20, 30)];

        var violation = Assert.Single(QueueChecker.Check(history));

        Assert.Equal("message 9 was delivered but nobody published its payload", violation.Message);
    }
}
