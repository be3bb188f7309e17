using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Checkers;

/// <summary>
/// Checks a queue history against the queue semantics of docs/semantics.md. Publishes carry a unique payload per logical message (a retry after an
/// unknown outcome sends the same payload with the same <c>dedup_id</c>, <see cref="ChaosOp.Key"/>); the history ends with
/// a drain, after every fault healed, and with the topic's dead letters read.
/// <list type="bullet">
/// <item>every publish answered ok is delivered at least once, or is in the dead letters;</item>
/// <item>nothing is delivered after its ack returned ok (a consume invoked after that answer must not get the message);</item>
/// <item>a dedup id queues one message: deliveries of two different message ids with the same payload are a duplicate;</item>
/// <item>nothing is delivered or dead that nobody published.</item>
/// </list>
/// </summary>
public static class QueueChecker
{
    public const string Name = "queue";

    public static IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var violations = new List<Violation>();
        var published = history.Where(o => o.Kind == OpKinds.Publish).ToList();
        var payloads = published.Select(o => o.Value).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var deliveries = history.Where(o => o.Kind == OpKinds.Consume && o.Outcome == Outcome.Ok && o.Id is not null).ToList();
        var dead = history.Where(o => o.Kind == OpKinds.DeadLetter && o.Id is not null).ToList();
        var seen = deliveries.Concat(dead).Select(o => o.Id!).ToHashSet(StringComparer.Ordinal);

        foreach (var publish in published.Where(o => o.Outcome == Outcome.Ok && o.Id is not null && !seen.Contains(o.Id)))
        {
            violations.Add(new Violation(Name, $"message {publish.Id} was acknowledged as published and never delivered, nor dead-lettered", [publish]));
        }

        var acked = history.Where(o => o.Kind == OpKinds.Ack && o.Outcome == Outcome.Ok && o.Id is not null)
            .GroupBy(o => o.Id!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.MinBy(o => o.Completed)!, StringComparer.Ordinal);
        foreach (var delivery in deliveries)
        {
            if (acked.TryGetValue(delivery.Id!, out var ack) && delivery.Invoked > ack.Completed)
            {
                violations.Add(new Violation(Name, $"message {delivery.Id} was delivered again by a consume invoked after its ack returned", [ack, delivery]));
            }
        }

        foreach (var twice in deliveries.Concat(dead).Where(o => o.Value is not null).GroupBy(o => o.Value!, StringComparer.Ordinal)
                     .Where(g => g.Select(o => o.Id).Distinct(StringComparer.Ordinal).Count() > 1))
        {
            var ids = twice.Select(o => o.Id).Distinct(StringComparer.Ordinal).ToList();
            var publishes = published.Where(p => p.Value == twice.Key);
            violations.Add(new Violation(Name, $"one dedup id queued {ids.Count} messages ({string.Join(", ", ids)})",
                [.. publishes.Concat(twice.DistinctBy(o => o.Id)).OrderBy(o => o.Invoked)]));
        }

        foreach (var phantom in deliveries.Concat(dead).Where(o => o.Value is null || !payloads.Contains(o.Value)).DistinctBy(o => o.Id))
        {
            violations.Add(new Violation(Name, $"message {phantom.Id} was {(phantom.Kind == OpKinds.DeadLetter ? "dead-lettered" : "delivered")} but nobody published its payload", [phantom]));
        }

        return violations;
    }
}
