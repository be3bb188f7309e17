using System.Globalization;
using System.Text.Json;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// Half the clients publish, half consume. Each publish carries a payload no other publish has, with the payload as its
/// <c>dedup_id</c>; a publish whose outcome is unknown is sent again, same payload, same dedup id, as a careful
/// producer would. Consumers take one message at a time with a short visibility timeout and ack nine in ten; the tenth
/// is left to come back (and, after <see cref="MaxDeliveries"/> deliveries, to be dead-lettered). Once every fault has
/// healed, the topic is drained and its dead letters read, so every kept message can be accounted for.
/// </summary>
public sealed class QueueWorkload(string run) : IChaosWorkload
{
    public const int MaxDeliveries = 3;
    private const double VisibilitySec = 2;
    private const int PublishAttempts = 5;
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(90);

    /// <summary>The most <c>GET /queue/dead_letters</c> lists at once; a run dead-letters a few dozen.</summary>
    private const int DeadLetterLimit = 1000;

    private readonly string _topic = $"{run}-queue";
    private long _sequence;

    public string Name => "queue";

    public string Topic => _topic;

    public async Task RunClientAsync(ChaosClient client, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(client);
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
        // Drain through every node until the topic holds nothing: no message ready, in flight or delayed.
        var until = DateTime.UtcNow + DrainLimit;
        var drained = false;
        while (!drained && DateTime.UtcNow < until)
        {
            var took = await Task.WhenAll(clients.Select(c => ConsumeAsync(c, ack: true, cancellationToken)));
            if (took.Any(t => t))
            {
                continue;
            }

            var stats = await clients[0].Http.GetAsync(new Uri(clients[0].Url, $"/queue/stats?topic={Uri.EscapeDataString(_topic)}"), "queue.stats", cancellationToken);
            drained = stats.IsOk && Count(stats.Body, "ready") + Count(stats.Body, "in_flight") + Count(stats.Body, "delayed") == 0;
            if (!drained)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }

        var dead = await clients[0].Http.GetAsync(new Uri(clients[0].Url, $"/queue/dead_letters?topic={Uri.EscapeDataString(_topic)}&limit={DeadLetterLimit}"), "queue.dead_letters", cancellationToken);
        var listed = 0;
        if (dead.IsOk && ChaosHttp.Property(dead.Body, "messages") is { ValueKind: JsonValueKind.Array } messages)
        {
            var now = clients[0].Http.Now();
            foreach (var message in messages.EnumerateArray())
            {
                listed++;
                clients[0].History.Add(new ChaosOp("final", clients[0].Node, OpKinds.DeadLetter, _topic, Payload(message), now, now, Outcome.Ok)
                {
                    Id = ChaosHttp.Text(message, "id"),
                });
            }
        }

        return !drained ? $"the topic still held messages {DrainLimit.TotalSeconds:F0} s after healing"
            : !dead.IsOk ? $"the dead letters could not be read ({dead.Detail})"
            : Count(dead.Body, "count") > listed ? $"only {listed} of {Count(dead.Body, "count")} dead letters were listed"
            : null;
    }

    public IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history) => QueueChecker.Check(history);

    private async Task PublishAsync(ChaosClient client, CancellationToken stop)
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"{client.Process}-{Interlocked.Increment(ref _sequence)}");
        var body = JsonBody.Object(w =>
        {
            w.WriteString("topic", _topic);
            w.WriteString("payload", payload);
            w.WriteString("dedup_id", payload);
            w.WriteNumber("max_deliveries", MaxDeliveries);
        });
        for (var attempt = 0; attempt < PublishAttempts; attempt++)
        {
            // A retry goes on even when the run is ending: the message may already be in the queue.
            var (op, _) = await client.RecordAsync(OpKinds.Publish, payload, payload, HttpMethod.Post, "/queue/publish", body,
                attempt == 0 ? stop : CancellationToken.None, (op, answer) => answer.IsOk ? op with { Id = ChaosHttp.Text(answer.Body, "id") } : op);
            if (op.Outcome != Outcome.Unknown)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
        }
    }

    /// <summary>Takes a message if one is ready; true when one came.</summary>
    private async Task<bool> ConsumeAsync(ChaosClient client, bool ack, CancellationToken cancellationToken)
    {
        var body = JsonBody.Object(w =>
        {
            w.WriteString("topic", _topic);
            w.WriteNumber("visibility_timeout_sec", VisibilitySec);
        });
        var (consume, answer) = await client.RecordAsync(OpKinds.Consume, _topic, null, HttpMethod.Post, "/queue/consume", body, cancellationToken,
            (op, answer) => answer.IsOk && ChaosHttp.Text(answer.Body, "id") is { } id ? op with { Id = id, Value = Payload(answer.Body) } : op);
        if (consume.Id is null)
        {
            return false;
        }

        if (ack && ChaosHttp.Text(answer.Body, "receipt") is { } receipt)
        {
            var ackBody = JsonBody.Object(w =>
            {
                w.WriteString("topic", _topic);
                w.WriteString("id", consume.Id);
                w.WriteString("receipt", receipt);
            });
            await client.RecordAsync(OpKinds.Ack, _topic, consume.Value, HttpMethod.Post, "/queue/ack", ackBody, CancellationToken.None,
                (op, _) => op with { Id = consume.Id });
        }

        return true;
    }

    private static string? Payload(JsonElement message) => ChaosHttp.Property(message, "payload") switch
    {
        { ValueKind: JsonValueKind.String } text => text.GetString(),
        { } other => other.ToString(),
        null => null,
    };

    /// <summary>A count from an answer; a missing one counts as 1, so a drain never stops on an answer it cannot read.</summary>
    private static long Count(JsonElement stats, string name) =>
        ChaosHttp.Property(stats, name) is { ValueKind: JsonValueKind.Number } value ? value.GetInt64() : 1;
}
