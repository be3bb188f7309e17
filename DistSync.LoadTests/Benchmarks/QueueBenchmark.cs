using System.Collections.Concurrent;
using System.Text.Json;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The queue under load, every request to any node (the nodes forward to partition owners): (a) round trips, each op
/// one message published, consumed and acked by the same client, each request to the next node; (b) publish alone;
/// (c) publish batches of 100; (d) how long after its visibility timeout a message whose consumer died is delivered
/// again. Each level uses a fresh topic.
/// </summary>
public static class QueueBenchmark
{
    public const string Name = "queue";

    public sealed record Options(IReadOnlyList<int> Levels, int BatchClients, int BatchSize, int Redeliveries, double VisibilitySec);

    public static async Task<IReadOnlyList<LevelResult>> RunAsync(ClusterClient client, BenchSettings settings, Options options, TextWriter output)
    {
        var nodes = await Targets.DiscoverAsync(client, TimeSpan.FromSeconds(10));
        var targets = Targets.Select(nodes, Targets.All);
        var run = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        output.WriteLine("== queue: publish, consume and ack through every node ==");
        output.WriteLine($"  nodes      {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}"))}; 8 partitions per topic, owners spread over the nodes");
        output.WriteLine($"  timing     {settings.Describe()}");
        output.WriteLine($"  (a) round trip: {string.Join(",", options.Levels)} clients; one op = publish, then consume (wait_sec 1) and ack whatever it got; request k to node k mod {targets.Count}");
        output.WriteLine($"  (b) publish:    1 and 10 clients publishing small JSON messages");
        output.WriteLine($"  (c) batches:    {options.BatchClients} clients publishing batches of {options.BatchSize}; ops/s counts batches, msgs/s = ops/s x {options.BatchSize}");
        output.WriteLine($"  (d) redelivery: {options.Redeliveries} messages consumed with visibility_timeout_sec {options.VisibilitySec} and never acked; delay = when a waiting consumer got it back - the visible_until its first delivery was given (by the node it came through, a little before the owner's own deadline, so the delay reads slightly high; nodes and generator must share a clock)");

        var results = new List<LevelResult>();
        foreach (var level in options.Levels)
        {
            results.Add(await RoundTripsAsync(client, settings, targets, $"bench-rt-{level}-{run}", level));
        }

        foreach (var level in new[] { 1, 10 })
        {
            var topic = $"bench-pub-{level}-{run}";
            var rounds = new long[level];
            var body = JsonBody.Object(w => { w.WriteString("topic", topic); w.WritePropertyName("payload"); w.WriteRawValue("{\"order\":17,\"items\":[\"a\",\"b\"]}"); });
            var urls = targets.Select(t => new Uri(t, "/queue/publish")).ToArray();
            results.Add(await TimedRunner.RunAsync("publish", $"{level} client{(level == 1 ? "" : "s")}", level, settings,
                (i, ct) => client.PostAsync(urls[Targets.Rotating(urls.Length, i, rounds[i]++)], body, ct)));
        }

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
        await RedeliveryAsync(client, targets, $"bench-redeliver-{run}", options, output);
        return results;
    }

    private static Task<LevelResult> RoundTripsAsync(ClusterClient client, BenchSettings settings, IReadOnlyList<Uri> targets, string topic, int clients)
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

        if (delays.Count > 0)
        {
            delays.Sort();
            output.WriteLine($"  redelivery after a consumer died: {delays.Count} messages back {delays[delays.Count / 2]:F1} ms (p50), {delays[^1]:F1} ms (max) after their {options.VisibilitySec} s visibility timeout ended");
        }
    }
}
