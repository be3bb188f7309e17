using System.Globalization;
using DistSync.Client;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// Half the clients publish, half consume, through <see cref="DistSyncClient"/>. Each publish carries a payload no other
/// publish has, with the payload as its dedup id; a publish whose outcome stays unknown after the client's own retries is
/// sent again, same payload, same dedup id, as a careful producer would. Consumers take one message at a time with a
/// short visibility timeout and ack nine in ten; the tenth is left to come back (and, after <see cref="MaxDeliveries"/>
/// deliveries, to be dead-lettered). Once every fault has healed, the topic is drained and its dead letters read, so
/// every kept message can be accounted for.
/// </summary>
public sealed class QueueWorkload(string run) : IChaosWorkload
{
    public const int MaxDeliveries = 3;
    private const int PublishAttempts = 5;
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(90);
    private static readonly ConsumeOptions NoWait = new() { VisibilityTimeout = TimeSpan.FromSeconds(2), Wait = TimeSpan.Zero };

    /// <summary>How many messages a drain's consume takes at once (the clients take one).</summary>
    private const int DrainBatch = 20;

    /// <summary>The most dead letters listed at once; a run dead-letters a few dozen.</summary>
    private const int DeadLetterLimit = 1000;

    private readonly string _topic = $"{run}-queue";
    private long _sequence;

    public string Name => "queue";

    public string Topic => _topic;

    public async Task RunClientAsync(ChaosClient client, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.Client.Queue.UseTopicSettings(_topic, new TopicSettings { MaxDeliveries = MaxDeliveries });
        var publisher = int.Parse(client.Process.AsSpan(1), CultureInfo.InvariantCulture) % 2 == 0;
        while (!stop.IsCancellationRequested)
        {
            if (publisher)
            {
                await PublishAsync(client, stop);
                await client.PauseAsync(10, 50, stop);
            }
            else if (!await ConsumeAsync(client, ack: client.Random.Next(10) != 0, stop))
            {
                await client.PauseAsync(50, 150, stop);
            }
        }
    }

    public async Task<string?> FinishAsync(IReadOnlyList<ChaosClient> clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        // Drain through every client until the topic holds nothing: no message ready, in flight or delayed.
        var until = DateTime.UtcNow + DrainLimit;
        var drained = false;
        string? unread = null;
        while (!drained && DateTime.UtcNow < until)
        {
            var took = await Task.WhenAll(clients.Select(c => ConsumeAsync(c, ack: true, cancellationToken, DrainBatch)));
            if (took.Any(t => t))
            {
                continue;
            }

            try
            {
                var stats = await clients[0].Client.Queue.StatsAsync(_topic, cancellationToken);
                drained = stats.IsDrained;
                unread = string.Join(", ", stats.Partitions.Where(p => p.Ready + p.InFlight + p.Delayed > 0)
                    .Select(p => $"partition {p.Partition} on {p.Owner} (epoch {p.Epoch}): {p.Ready} ready, {p.InFlight} in flight, {p.Delayed} delayed"));
            }
            catch (DistSyncException ex)
            {
                unread = "the stats could not be read: " + ex.Message;
            }

            if (!drained)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }

        DeadLetters<string> dead;
        try
        {
            dead = await clients[0].Client.Queue.DeadLettersAsync<string>(_topic, DeadLetterLimit, cancellationToken);
        }
        catch (DistSyncException ex)
        {
            return $"the dead letters could not be read ({ex.Message})";
        }

        var now = clients[0].Now();
        foreach (var message in dead.Messages)
        {
            clients[0].History.Add(new ChaosOp("final", clients[0].Node, OpKinds.DeadLetter, _topic, message.Payload, now, now, Outcome.Ok) { Id = message.Id });
        }

        return !drained ? $"the topic still held messages {DrainLimit.TotalSeconds:F0} s after healing{(unread is null ? "" : $": {unread}")}"
            : dead.Count > dead.Messages.Count ? $"only {dead.Messages.Count} of {dead.Count} dead letters were listed"
            : null;
    }

    public IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history) => QueueChecker.Check(history);

    private async Task PublishAsync(ChaosClient client, CancellationToken stop)
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"{client.Process}-{Interlocked.Increment(ref _sequence)}");
        for (var attempt = 0; attempt < PublishAttempts; attempt++)
        {
            // A repeat goes on even when the run is ending: the message may already be in the queue.
            var (op, _) = await client.RecordAsync(OpKinds.Publish, payload, payload,
                ct => client.Client.Queue.PublishAsync(_topic, payload, dedupId: payload, cancellationToken: ct),
                attempt == 0 ? stop : CancellationToken.None, (op, published) => published is null ? op : op with { Id = published.Id });
            if (op.Outcome != Outcome.Unknown)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
        }
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> messages if any are ready (each recorded as a consume of its own, all with the
    /// request's times); true when one came.
    /// </summary>
    private async Task<bool> ConsumeAsync(ChaosClient client, bool ack, CancellationToken cancellationToken, int max = 1)
    {
        var (consume, taken) = await client.RecordAsync(OpKinds.Consume, _topic, null,
            ct => client.Client.Queue.ConsumeBatchAsync<string>(_topic, max, NoWait, ct), cancellationToken,
            (op, messages) => messages is [var message, ..] ? op with { Id = message.Id, Value = message.Payload } : op);
        if (taken is not [_, ..])
        {
            return false;
        }

        foreach (var more in taken.Skip(1))
        {
            client.History.Add(consume with { Id = more.Id, Value = more.Payload });
        }

        // Acked together: the client sends acks made at once in one batch.
        await Task.WhenAll((ack ? taken : []).Select(delivered => client.RecordAsync(OpKinds.Ack, _topic, delivered.Payload,
            _ => delivered.AckAsync(CancellationToken.None), CancellationToken.None, op => op with { Id = delivered.Id })));

        return true;
    }
}
