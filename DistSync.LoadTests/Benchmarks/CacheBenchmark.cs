using System.Diagnostics;
using System.Text.Json;
using DistSync.Client;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The cache under load: (a) hits, each client reading warm keys from one node, against (b) a bare ASP.NET Core
/// endpoint in its own process and (c) the nodes' <c>/alive</c>, all at the same concurrency in the same run;
/// (d) sets with 0, 1 and 2 sharers to invalidate; (e) a read-mostly mix (95 % gets, 5 % sets) over all nodes. Under
/// the client driver the gets and sets go through one shared <see cref="DistSyncClient"/>, which sends each to the key's
/// home; (b), (c), the reads that make sharers in (d) (they must reach named nodes) and the keys' first values are raw
/// HTTP under both drivers.
/// </summary>
public static class CacheBenchmark
{
    public const string Name = "cache";

    /// <param name="BareTelemetry">Whether the bare endpoint traces and measures its requests as the nodes do (as they do with the dashboard on).</param>
    public sealed record Options(int Clients, int Keys, int WriteClients, int Rounds, bool BareTelemetry = true);

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
        var keys = Enumerable.Range(0, options.Keys).Select(i => $"bench-{run}-{i}").ToArray();
        output.WriteLine("== cache: hits against a bare endpoint, sets with sharers, a read-mostly mix ==");
        output.WriteLine($"  nodes      {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}"))}; {options.Keys} keys, homes spread over the nodes");
        output.WriteLine($"  timing     {settings.Describe()}");
        output.WriteLine(app is null
            ? "  driver     http: pre-encoded requests through ClusterClient"
            : $"  driver     client: one DistSyncClient ({app.ClientId}) shared by every worker, each get and set to the key's home; (b), (c), the keys' first values and the sharers' reads in (d) are raw HTTP");
        output.WriteLine(app is null
            ? $"  (a) hit:       {options.Clients} clients, client i reads the keys in turn from node i mod {targets.Count} (warm: the warm-up's first reads miss)"
            : $"  (a) hit:       {options.Clients} clients, each reads the keys in turn (GetAsync, from the key's home; warm: the warm-up reads them first)");
        output.WriteLine($"  (b) bare:      {options.Clients} clients, GET / on a bare ASP.NET Core endpoint (a child process of this tool) answering as many bytes as a hit, "
            + $"telemetry {(options.BareTelemetry ? "on, as the nodes' (--bare-telemetry off to match nodes run without it)" : "off")}; (a) and (b) alternate for {options.Rounds} rounds");
        output.WriteLine($"  (c) alive:     {options.Clients} clients, GET /alive on the nodes in turn");
        output.WriteLine($"  (d) set:       {options.WriteClients} clients, each its own key: 0 sharers = the owner writes again (no message);");
        output.WriteLine($"                 1 sharer = a get on the next node, then the set (invalidates it); 2 = gets on both others, then the set{(app is null ? "" : " (SetAsync, to the key's home)")}");
        output.WriteLine($"  (e) mix:       {options.Clients} clients, 95 % gets / 5 % sets of random keys, {(app is null ? "each request to a random node" : "each through the client to the key's home")}");

        await PopulateAsync(client, targets, keys);
        var results = new List<LevelResult>();
        var getUrls = targets.Select(t => keys.Select(k => new Uri(t, $"/cache/get?key={k}")).ToArray()).ToArray();
        var cursors = new long[options.Clients];
        var ratios = new List<double>();
        // The yardstick answers as many bytes as a hit does (the first read of a key may miss; the second hits).
        await client.GetBodyAsync(getUrls[0][0], CancellationToken.None);
        var hitBytes = (await client.GetBodyAsync(getUrls[0][0], CancellationToken.None)).Length;
        using (var bare = await BareServer.StartAsync(hitBytes, options.BareTelemetry))
        {
            // Alternating rounds: the machine's state drifts between levels more than hits and the bare endpoint differ.
            for (var round = 1; round <= options.Rounds; round++)
            {
                var hit = await TimedRunner.RunAsync("get (hit)", $"{options.Clients} clients, round {round}", options.Clients, settings, app is null
                    ? (i, ct) => client.GetAsync(getUrls[i % targets.Count][cursors[i]++ % keys.Length], ct)
                    : (i, ct) => ClientOutcome.RunAsync(() => app.Cache.GetAsync<JsonElement>(keys[cursors[i]++ % keys.Length], ct)));
                var yardstick = await TimedRunner.RunAsync("bare endpoint", $"{options.Clients} clients, round {round}", options.Clients, settings.RawHttp,
                    (_, ct) => client.GetAsync(bare.Url, ct));
                results.Add(hit);
                results.Add(yardstick);
                ratios.Add(hit.OpsPerSecond / Math.Max(1, yardstick.OpsPerSecond));
            }
        }

        var alive = targets.Select(t => new Uri(t, "/alive")).ToArray();
        results.Add(await TimedRunner.RunAsync("/alive", $"{options.Clients} clients", options.Clients, settings.RawHttp,
            (i, ct) => client.GetAsync(alive[i % alive.Length], ct)));

        var setLatencies = new List<(string Level, LatencySummary Set)>();
        for (var sharers = 0; sharers <= Math.Min(2, targets.Count - 1); sharers++)
        {
            var (result, set) = await SetsAsync(client, app, settings, targets, options.WriteClients, sharers, $"bench-set{sharers}-{run}");
            results.Add(result);
            setLatencies.Add((result.Level, set));
        }

        results.Add(await MixAsync(client, app, settings, targets, keys, options.Clients));

        ResultTable.WriteText(output, "ops/s", results);
        output.WriteLine($"  hits / bare endpoint, alternating rounds: {string.Join(", ", ratios.Select(r => r.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)))}; median {ratios.Order().ElementAt(ratios.Count / 2):P0} (target: 60 %)");
        foreach (var (level, set) in setLatencies)
        {
            output.WriteLine($"  the set alone, {level}: p50 {set.P50Ms:F2} ms, p99 {set.P99Ms:F2} ms");
        }

        return results;
    }

    private static async Task PopulateAsync(ClusterClient client, IReadOnlyList<Uri> targets, IReadOnlyList<string> keys)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            var body = JsonBody.Object(w => { w.WriteString("key", keys[i]); w.WritePropertyName("value"); w.WriteRawValue("{\"user\":17,\"name\":\"Ada\",\"roles\":[\"admin\",\"dev\"]}"); });
            var result = await client.PostAsync(new Uri(targets[i % targets.Count], "/cache/set"), body, CancellationToken.None);
            if (result.Kind != OpKind.Ok)
            {
                throw new InvalidOperationException($"Setting up the benchmark's keys failed: {result.Detail}.");
            }
        }
    }

    /// <summary>
    /// Each client writes its own key through one node (the client driver: through the client, to the key's home), after
    /// making <paramref name="sharers"/> other nodes read it.
    /// </summary>
    private static async Task<(LevelResult Result, LatencySummary Set)> SetsAsync(ClusterClient client, DistSyncClient? app, BenchSettings settings, IReadOnlyList<Uri> targets, int clients, int sharers, string prefix)
    {
        var set = new LatencyStats();
        var counter = new long[clients];
        var started = Stopwatch.GetTimestamp();
        var result = await TimedRunner.RunAsync("set", $"{sharers} sharer{(sharers == 1 ? "" : "s")}, {clients} clients", clients, settings, async (i, ct) =>
        {
            var key = $"{prefix}-{i}";
            var writer = targets[i % targets.Count];
            for (var s = 1; s <= sharers; s++)
            {
                var read = await client.GetAsync(new Uri(targets[(i + s) % targets.Count], $"/cache/get?key={key}"), ct);
                if (read.Kind != OpKind.Ok)
                {
                    return OpResult.Failed($"get {read.Detail}");
                }
            }

            var value = counter[i]++;
            var body = app is null ? JsonBody.Object(w => { w.WriteString("key", key); w.WriteNumber("value", value); }) : null;
            var start = Stopwatch.GetTimestamp();
            var written = app is null
                ? await client.PostAsync(new Uri(writer, "/cache/set"), body!, ct)
                : await ClientOutcome.RunAsync(() => app.Cache.SetAsync(key, value, cancellationToken: ct));
            set.Record(start, written.Kind == OpKind.Ok);
            return written;
        });
        return (result, set.Summarize(Stopwatch.GetElapsedTime(started)));
    }

    /// <summary>Random keys, 95 % gets: through a random node each, or through the client (which picks the key's home); the same draws either way.</summary>
    private static Task<LevelResult> MixAsync(ClusterClient client, DistSyncClient? app, BenchSettings settings, IReadOnlyList<Uri> targets, IReadOnlyList<string> keys, int clients)
    {
        var randoms = Enumerable.Range(0, clients).Select(i => new Random(i)).ToArray();
        return TimedRunner.RunAsync("mix 95/5", $"{clients} clients", clients, settings, (i, ct) =>
        {
            var random = randoms[i];
            var node = targets[random.Next(targets.Count)];
            var key = keys[random.Next(keys.Count)];
            if (random.Next(100) < 95)
            {
                return app is null
                    ? client.GetAsync(new Uri(node, $"/cache/get?key={key}"), ct)
                    : ClientOutcome.RunAsync(() => app.Cache.GetAsync<JsonElement>(key, ct));
            }

            var value = random.Next();
            return app is null
                ? client.PostAsync(new Uri(node, "/cache/set"), JsonBody.Object(w => { w.WriteString("key", key); w.WriteNumber("value", value); }), ct)
                : ClientOutcome.RunAsync(() => app.Cache.SetAsync(key, value, cancellationToken: ct));
        });
    }
}
