using System.Collections.Concurrent;
using System.Text.Json;
using DistSync.Client;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The queue under load: (a) round trips, each op one message published, consumed and acked by the same client;
/// (b) publish alone; (c) publish batches of 100; (d) how long after its visibility timeout a message whose consumer
/// died is delivered again. Each level uses a fresh topic. Under the http driver every request goes to any node, each
/// to the next (the nodes forward to partition owners); under the client driver through one shared
/// <see cref="DistSyncClient"/>, which sends a publish to its partition's owner and an ack (batched with the other
/// workers' acks) to the message's, and a consume or a batch to any node.
/// </summary>
public static class QueueBenchmark
{
    public const string Name = "queue";

    public sealed record Options(IReadOnlyList<int> Levels, int BatchClients, int BatchSize, int Redeliveries, double VisibilitySec);

    /// <summary>The small order every publish carries, as JSON.</summary>
    private const string Order = "{\"order\":17,\"items\":[\"a\",\"b\"]}";

    /// <param name="app">The client driver's shared client; null under the http driver.</param>
    public static async Task<IReadOnlyList<LevelResult>> RunAsync(ClusterClient client, DistSyncClient? app, BenchSettings settings, Options options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        settings.RequireClientFor(app);
        var nodes = await Targets.DiscoverAsync(client, TimeSpan.FromSeconds(10));
        var targets = Targets.Select(nodes, Targets.All);
        var run = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        output.WriteLine("== queue: publish, consume and ack through every node ==");
        output.WriteLine($"  nodes      {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}"))}; 8 partitions per topic, owners spread over the nodes");
        output.WriteLine($"  timing     {settings.Describe()}");
        output.WriteLine(app is null
            ? "  driver     http: pre-encoded requests through ClusterClient, each to the next node"
            : $"  driver     client: one DistSyncClient ({app.ClientId}) shared by every worker; publishes to their partition's owner, acks batched to the message's owner");
        output.WriteLine($"  (a) round trip: {string.Join(",", options.Levels)} clients; one op = publish, then consume (wait_sec 1) and ack whatever it got{(app is null ? $"; request k to node k mod {targets.Count}" : "")}");
        output.WriteLine($"  (b) publish:    1 and 10 clients publishing small JSON messages");
        output.WriteLine($"  (c) batches:    {options.BatchClients} clients publishing batches of {options.BatchSize}; ops/s counts batches, msgs/s = ops/s x {options.BatchSize}");
        output.WriteLine(app is null
            ? $"  (d) redelivery: {options.Redeliveries} messages consumed with visibility_timeout_sec {options.VisibilitySec} and never acked; delay = when a waiting consumer got it back - the visible_until its first delivery was given (by the node it came through, a little before the owner's own deadline, so the delay reads slightly high; nodes and generator must share a clock)"
            : $"  (d) redelivery: {options.Redeliveries} messages consumed with a visibility timeout of {options.VisibilitySec} s and never acked; delay = when a waiting consumer got it back - the VisibleUntil the client gave its first delivery (the consume's send time + the timeout, a little before the owner's own deadline, so the delay reads slightly high)");

        var results = new List<LevelResult>();
        foreach (var level in options.Levels)
        {
            results.Add(app is null
                ? await RoundTripsAsync(client, settings, targets, $"bench-rt-{level}-{run}", level)
                : await RoundTripsAsync(app, settings, $"bench-rt-{level}-{run}", level));
        }

        using var order = JsonDocument.Parse(Order);
        foreach (var level in new[] { 1, 10 })
        {
            var topic = $"bench-pub-{level}-{run}";
            var name = $"{level} client{(level == 1 ? "" : "s")}";
            if (app is not null)
            {
                var payload = order.RootElement.Clone();
                results.Add(await TimedRunner.RunAsync("publish", name, level, settings,
                    (_, ct) => ClientOutcome.RunAsync(() => app.Queue.PublishAsync(topic, payload, cancellationToken: ct))));
                continue;
            }

            var rounds = new long[level];
            var body = JsonBody.Object(w => { w.WriteString("topic", topic); w.WritePropertyName("payload"); w.WriteRawValue(Order); });
            var urls = targets.Select(t => new Uri(t, "/queue/publish")).ToArray();
            results.Add(await TimedRunner.RunAsync("publish", name, level, settings,
                (i, ct) => client.PostAsync(urls[Targets.Rotating(urls.Length, i, rounds[i]++)], body, ct)));
        }

        if (app is not null)
        {
            var topic = $"bench-batch-{run}";
            OutgoingMessage<int>[] messages = [.. Enumerable.Range(0, options.BatchSize).Select(m => new OutgoingMessage<int>(m))];
            results.Add(await TimedRunner.RunAsync("publish batch", $"{options.BatchClients} clients x {options.BatchSize} msgs", options.BatchClients, settings,
                (_, ct) => ClientOutcome.RunAsync(() => app.Queue.PublishBatchAsync(topic, messages, ct))));
        }
        else
        {
            var topic = $"bench-batch-{run}";
            var body = JsonBody.Object(w =>
            {
                w.WriteString("topic", topic);
                w.WriteStartArray("messages");
                for (var m = 0; m < options.BatchSize; m++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("payload", m);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
            var urls = targets.Select(t => new Uri(t, "/queue/publish_batch")).ToArray();
            var rounds = new long[options.BatchClients];
            results.Add(await TimedRunner.RunAsync("publish batch", $"{options.BatchClients} clients x {options.BatchSize} msgs", options.BatchClients, settings,
                (i, ct) => client.PostAsync(urls[Targets.Rotating(urls.Length, i, rounds[i]++)], body, ct)));
        }

        ResultTable.WriteText(output, "ops/s", results);
        var batch = results[^1];
        output.WriteLine($"  publish batches: {batch.OpsPerSecond * options.BatchSize:F0} messages/s");
        if (app is null)
        {
            await RedeliveryAsync(client, targets, $"bench-redeliver-{run}", options, output);
        }
        else
        {
            await RedeliveryAsync(app, $"bench-redeliver-{run}", options, output);
        }

        return results;
    }

    internal static Task<LevelResult> RoundTripsAsync(ClusterClient client, BenchSettings settings, IReadOnlyList<Uri> targets, string topic, int clients)
    {
        var publish = JsonBody.Object(w => { w.WriteString("topic", topic); w.WritePropertyName("payload"); w.WriteRawValue("{\"order\":17}"); });
        var consume = JsonBody.Object(w => { w.WriteString("topic", topic); w.WriteNumber("wait_sec", 1); w.WriteNumber("visibility_timeout_sec", 30); });
        var publishUrls = targets.Select(t => new Uri(t, "/queue/publish")).ToArray();
        var consumeUrls = targets.Select(t => new Uri(t, "/queue/consume")).ToArray();
        var ackUrls = targets.Select(t => new Uri(t, "/queue/ack")).ToArray();
        var rounds = new long[clients];
        return TimedRunner.RunAsync("round trip", $"{clients} client{(clients == 1 ? "" : "s")}", clients, settings, async (i, ct) =>
        {
            var published = await client.PostAsync(publishUrls[Targets.Rotating(targets.Count, i, rounds[i]++)], publish, ct);
            if (published.Kind != OpKind.Ok)
            {
                return OpResult.Failed($"publish {published.Detail}");
            }

            var (consumed, message) = await client.PostReadAsync(consumeUrls[Targets.Rotating(targets.Count, i, rounds[i]++)], consume, ct);
            if (consumed.Kind != OpKind.Ok || message.GetProperty("status").GetString() != "ok")
            {
                return consumed.Kind != OpKind.Ok ? OpResult.Failed($"consume {consumed.Detail}") : OpResult.Failed("consume found nothing within 1 s");
            }

            var ack = JsonBody.Object(w => { w.WriteString("topic", topic); w.WriteString("id", message.GetProperty("id").GetString()); w.WriteString("receipt", message.GetProperty("receipt").GetString()); });
            var acked = await client.PostAsync(ackUrls[Targets.Rotating(targets.Count, i, rounds[i]++)], ack, ct);
            return acked.Kind == OpKind.Ok ? OpResult.Ok : OpResult.Failed($"ack {acked.Detail}");
        });
    }

    /// <summary>A consumer takes messages and dies (never acks); another waits for them to come back.</summary>
    private static async Task RedeliveryAsync(ClusterClient client, IReadOnlyList<Uri> targets, string topic, Options options, TextWriter output)
    {
        var publishUrl = new Uri(targets[0], "/queue/publish_batch");
        var consumeUrl = new Uri(targets[1 % targets.Count], "/queue/consume");
        var waitUrl = new Uri(targets[2 % targets.Count], "/queue/consume");
        var publish = JsonBody.Object(w =>
        {
            w.WriteString("topic", topic);
            w.WriteStartArray("messages");
            for (var m = 0; m < options.Redeliveries; m++)
            {
                w.WriteStartObject();
                w.WriteNumber("payload", m);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        var (published, _) = await client.PostReadAsync(publishUrl, publish, CancellationToken.None);
        if (published.Kind != OpKind.Ok)
        {
            output.WriteLine($"  redelivery: publish failed ({published.Detail})");
            return;
        }

        var visibleUntil = new ConcurrentDictionary<string, DateTimeOffset>();
        var take = JsonBody.Object(w => { w.WriteString("topic", topic); w.WriteNumber("wait_sec", 5); w.WriteNumber("max_messages", 100); w.WriteNumber("visibility_timeout_sec", options.VisibilitySec); });
        while (visibleUntil.Count < options.Redeliveries)
        {
            var (ok, page) = await client.PostReadAsync(consumeUrl, take, CancellationToken.None);
            if (ok.Kind != OpKind.Ok || page.GetProperty("status").GetString() != "ok")
            {
                output.WriteLine($"  redelivery: first consume failed ({ok.Detail})");
                return;
            }

            foreach (var m in page.GetProperty("messages").EnumerateArray())
            {
                visibleUntil.TryAdd(m.GetProperty("id").GetString()!, m.GetProperty("visible_until").GetDateTimeOffset());
            }
        }

        var delays = new List<double>();
        var wait = JsonBody.Object(w => { w.WriteString("topic", topic); w.WriteNumber("wait_sec", 10); w.WriteNumber("max_messages", 100); w.WriteNumber("visibility_timeout_sec", 60); });
        while (delays.Count < options.Redeliveries)
        {
            var (ok, page) = await client.PostReadAsync(waitUrl, wait, CancellationToken.None);
            var now = DateTimeOffset.UtcNow; // the nodes run on this machine: one clock
            if (ok.Kind != OpKind.Ok || page.GetProperty("status").GetString() != "ok")
            {
                output.WriteLine($"  redelivery: {options.Redeliveries - delays.Count} messages did not come back within 10 s ({ok.Detail})");
                break;
            }

            foreach (var m in page.GetProperty("messages").EnumerateArray())
            {
                if (visibleUntil.TryGetValue(m.GetProperty("id").GetString()!, out var until))
                {
                    delays.Add((now - until).TotalMilliseconds);
                }
            }
        }

        WriteDelays(delays, options, output);
    }

    /// <summary>The round trip through the client: publish, consume one (waiting up to 1 s), ack it; each step named when it fails.</summary>
    private static Task<LevelResult> RoundTripsAsync(DistSyncClient app, BenchSettings settings, string topic, int clients)
    {
        using var order = JsonDocument.Parse("{\"order\":17}");
        var payload = order.RootElement.Clone();
        var consume = new ConsumeOptions { Wait = TimeSpan.FromSeconds(1), VisibilityTimeout = TimeSpan.FromSeconds(30) };
        return TimedRunner.RunAsync("round trip", $"{clients} client{(clients == 1 ? "" : "s")}", clients, settings, async (_, ct) =>
        {
            var published = await ClientOutcome.RunAsync(() => app.Queue.PublishAsync(topic, payload, cancellationToken: ct));
            if (published.Kind != OpKind.Ok)
            {
                return ClientOutcome.Step("publish", published);
            }

            IReadOnlyList<QueueMessage<JsonElement>> messages = [];
            var consumed = await ClientOutcome.RunAsync(async () => messages = await app.Queue.ConsumeBatchAsync<JsonElement>(topic, 1, consume, ct));
            if (consumed.Kind != OpKind.Ok || messages.Count == 0)
            {
                return consumed.Kind != OpKind.Ok ? ClientOutcome.Step("consume", consumed) : OpResult.Failed("consume found nothing within 1 s");
            }

            return ClientOutcome.Step("ack", await ClientOutcome.RunAsync(() => messages[0].AckAsync(ct)));
        });
    }

    /// <summary>As the raw redelivery, through the client: a consumer takes messages and dies (never acks); another waits for them.</summary>
    private static async Task RedeliveryAsync(DistSyncClient app, string topic, Options options, TextWriter output)
    {
        OutgoingMessage<int>[] batch = [.. Enumerable.Range(0, options.Redeliveries).Select(m => new OutgoingMessage<int>(m))];
        var published = await ClientOutcome.RunAsync(() => app.Queue.PublishBatchAsync(topic, batch));
        if (published.Kind != OpKind.Ok)
        {
            output.WriteLine($"  redelivery: publish failed ({published.Detail})");
            return;
        }

        var visibleUntil = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var take = new ConsumeOptions { Wait = TimeSpan.FromSeconds(5), VisibilityTimeout = TimeSpan.FromSeconds(options.VisibilitySec) };
        while (visibleUntil.Count < options.Redeliveries)
        {
            IReadOnlyList<QueueMessage<int>> page = [];
            var taken = await ClientOutcome.RunAsync(async () => page = await app.Queue.ConsumeBatchAsync<int>(topic, 100, take));
            if (taken.Kind != OpKind.Ok || page.Count == 0)
            {
                output.WriteLine($"  redelivery: first consume failed ({taken.Detail ?? "nothing within 5 s"})");
                return;
            }

            foreach (var m in page)
            {
                visibleUntil.TryAdd(m.Id, m.VisibleUntil);
            }
        }

        var delays = new List<double>();
        var wait = new ConsumeOptions { Wait = TimeSpan.FromSeconds(10), VisibilityTimeout = TimeSpan.FromSeconds(60) };
        while (delays.Count < options.Redeliveries)
        {
            IReadOnlyList<QueueMessage<int>> page = [];
            var waited = await ClientOutcome.RunAsync(async () => page = await app.Queue.ConsumeBatchAsync<int>(topic, 100, wait));
            var now = DateTimeOffset.UtcNow; // VisibleUntil is on this client's clock
            if (waited.Kind != OpKind.Ok || page.Count == 0)
            {
                output.WriteLine($"  redelivery: {options.Redeliveries - delays.Count} messages did not come back within 10 s ({waited.Detail ?? "empty"})");
                break;
            }

            foreach (var m in page)
            {
                if (visibleUntil.TryGetValue(m.Id, out var until))
                {
                    delays.Add((now - until).TotalMilliseconds);
                }
            }
        }

        WriteDelays(delays, options, output);
    }

    private static void WriteDelays(List<double> delays, Options options, TextWriter output)
    {
        if (delays.Count > 0)
        {
            delays.Sort();
            output.WriteLine($"  redelivery after a consumer died: {delays.Count} messages back {delays[delays.Count / 2]:F1} ms (p50), {delays[^1]:F1} ms (max) after their {options.VisibilitySec} s visibility timeout ended");
        }
    }
}
