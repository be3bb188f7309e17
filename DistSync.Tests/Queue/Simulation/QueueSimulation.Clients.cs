using DistSync.LoadTests.Chaos.History;
using DistSync.Node.Http;
using DistSync.Node.Queue;
using StackExchange.Redis;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>The clients: what they do on their node's <see cref="QueueService"/>, and what they saw, as a fault-harness history.</summary>
internal sealed partial class QueueSimulation
{
    private readonly List<ChaosOp> _history = [];
    private int _counter;
    private int _clientsRunning;

    /// <summary>Every operation the clients saw end (and those whose end they never saw), in the fault harness's form.</summary>
    public IReadOnlyList<ChaosOp> History => _history;

    /// <summary>
    /// The history with message ids numbered in order of first appearance: ids are random (as in production), all else a
    /// seed decides, so two runs of one seed give the same trace.
    /// </summary>
    public IReadOnlyList<string> Trace()
    {
        var numbers = new Dictionary<string, string>(StringComparer.Ordinal);
        string Number(string id) => numbers.TryGetValue(id, out var n) ? n : numbers[id] = $"#{numbers.Count}";
        return [.. _history.Select(o => (o with
        {
            Id = o.Id is null ? null : Number(o.Id),
            Detail = o.Detail is { } d && o.Id is { } id && d.StartsWith(id, StringComparison.Ordinal) ? Number(id) + d[id.Length..] : o.Detail,
        }).ToString())];
    }

    /// <summary>Messages delivered to the clients, redeliveries and the drain included.</summary>
    public int Deliveries { get; private set; }

    public int AcknowledgedPublishes { get; private set; }

    private void StartClients()
    {
        foreach (var node in _nodes)
        {
            for (var c = 0; c < Options.ClientsPerNode; c++)
            {
                var client = $"{node.Id}c{c}";
                _clientsRunning++;
                _scheduler.Start(async () =>
                {
                    try
                    {
                        await ClientAsync(node, client);
                    }
                    finally
                    {
                        _clientsRunning--;
                    }
                });
            }
        }
    }

    private async Task ClientAsync(QueueSimNode node, string client)
    {
        while (_chaos)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Next(1, Options.MaxThinkMs + 1)), Time);
            if (!node.Alive || !_chaos)
            {
                continue;
            }

            var topic = _topics[Random.Next(_topics.Length)];
            if (Random.NextDouble() < 0.45)
            {
                await PublishAsync(node, client, topic);
                continue;
            }

            var visibilityMs = Random.Next(100, 1000);
            // No long poll (wait_sec): its wait is a Task.WhenAny, which completes on a thread-pool thread, out of the seed's reach.
            foreach (var message in await ConsumeAsync(node, client, topic, visibilityMs, 1 + Random.Next(3)))
            {
                var plan = Random.NextDouble();
                if (plan < 0.2)
                {
                    continue; // forgotten: it comes back when its visibility ends, and dies after max_deliveries
                }

                // Sometimes slower than the visibility timeout: the message may be delivered again before this ack.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Next(5) == 0 ? Random.Next(visibilityMs * 13 / 10) : Random.Next(30)), Time);
                if (plan < 0.3)
                {
                    await ChangeAsync(node, client, topic, ChangeOp.Nack, message, Random.Next(2) == 0 ? 0 : Random.Next(50, 300), 0);
                    continue;
                }

                if (plan < 0.35)
                {
                    await ChangeAsync(node, client, topic, ChangeOp.Extend, message, 0, visibilityMs);
                }

                await ChangeAsync(node, client, topic, ChangeOp.Ack, message, 0, 0);
            }
        }
    }

    private async Task PublishAsync(QueueSimNode node, string client, TopicConfig topic)
    {
        var n = ++_counter;
        var payload = $"\"m{n}\"";
        var key = $"k{Random.Next(Options.Keys)}";
        var delaySec = Random.Next(10) == 0 ? Random.Next(50, 500) / 1000.0 : (double?)null;
        var at = _history.Count;
        _history.Add(new ChaosOp(client, node.Id, OpKinds.Publish, key, payload, Micros(NowMs), long.MaxValue, Outcome.Unknown));
        var incarnation = node.Incarnation;
        try
        {
            var answer = (await node.Service!.PublishAsync(topic, [new PublishBatchItem(new RawJson(payload), key, null, delaySec)], $"{client}-p{n}", CancellationToken.None))[0];
            if (Answered(node, incarnation))
            {
                _history[at] = _history[at] with { Completed = Micros(NowMs), Outcome = Outcome.Ok, Id = answer.Id };
                AcknowledgedPublishes++;
            }
        }
        catch (Exception e) when (Expected(e))
        {
            _history[at] = Ended(_history[at], e);
        }
    }

    /// <summary>A consume; one whose answer may have been lost is asked again with its request id, as the API tells a client to.</summary>
    private async Task<IReadOnlyList<QueueMessageView>> ConsumeAsync(QueueSimNode node, string client, TopicConfig topic, long visibilityMs, int max)
    {
        var requestId = $"{client}-c{++_counter}";
        var invoked = Micros(NowMs);
        var incarnation = node.Incarnation;
        IReadOnlyList<QueueMessageView> messages = [];
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                messages = await node.Service!.ConsumeAsync(topic, visibilityMs, max, TimeSpan.Zero, requestId, repeat: attempt > 0, CancellationToken.None);
                break;
            }
            catch (QueueUnavailableException e) when (e.MayHaveBeenApplied && attempt == 0 && Answered(node, incarnation))
            {
                // The lease may have been made: the same request id gets the same messages.
            }
            catch (Exception e) when (Expected(e))
            {
                return [];
            }
        }

        if (!Answered(node, incarnation))
        {
            return [];
        }

        foreach (var m in messages)
        {
            _history.Add(new ChaosOp(client, node.Id, OpKinds.Consume, topic.Name, m.Payload.Text, invoked, Micros(NowMs), Outcome.Ok) { Id = m.Id, Detail = m.Receipt });
            Deliveries++;
        }

        return messages;
    }

    /// <summary>An ack (recorded), nack or extend of the delivery <paramref name="message"/>'s receipt names.</summary>
    private async Task ChangeAsync(QueueSimNode node, string client, TopicConfig topic, ChangeOp op, QueueMessageView message, long delayMs, long visibilityMs)
    {
        if (!node.Alive || !Receipts.TryParse(message.Receipt, out var id, out var delivery))
        {
            return;
        }

        var at = -1;
        if (op == ChangeOp.Ack)
        {
            at = _history.Count;
            _history.Add(new ChaosOp(client, node.Id, OpKinds.Ack, topic.Name, null, Micros(NowMs), long.MaxValue, Outcome.Unknown) { Id = id });
        }

        var incarnation = node.Incarnation;
        try
        {
            var (result, retried) = await node.Service!.ChangeAsync(topic, op, id, delivery, delayMs, visibilityMs, CancellationToken.None,
                op == ChangeOp.Ack ? $"{client}-a{++_counter}" : null);
            if (at >= 0 && Answered(node, incarnation))
            {
                // As the API answers: an ack whose earlier try may have removed the message is acked.
                var acked = result.Status == ChangeStatus.Acked || (result.Status == ChangeStatus.NotFound && retried);
                _history[at] = _history[at] with { Completed = Micros(NowMs), Outcome = acked ? Outcome.Ok : Outcome.Failed, Detail = result.Status.ToString() };
            }
        }
        catch (Exception e) when (Expected(e) && at >= 0)
        {
            _history[at] = Ended(_history[at], e);
        }
        catch (Exception e) when (Expected(e))
        {
            // A nack or extend that failed changes nothing the checks rely on.
        }
    }

    /// <summary>The client got the answer: the node it asked is the same process, still up.</summary>
    private static bool Answered(QueueSimNode node, int incarnation) => node.Alive && node.Incarnation == incarnation;

    /// <summary>What a client of a node can meet: no owner within the retry budget, the store failing, its node dying under it.</summary>
    private static bool Expected(Exception e) => e is QueueUnavailableException or RedisException or TimeoutException or SimCrashedException;

    private ChaosOp Ended(ChaosOp op, Exception e) => e switch
    {
        QueueUnavailableException { MayHaveBeenApplied: false } => op with { Completed = Micros(NowMs), Outcome = Outcome.Failed, Detail = e.Message },
        SimCrashedException => op with { Detail = "its node crashed" },
        _ => op with { Detail = e.Message },
    };
}
