using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The lock API under load: (a) uncontended acquire+release pairs, each client on its own resource;
/// (b) contended grants, every client queueing on one resource; (c) <c>GET /locks/state</c> reads,
/// linearizable and local. Clients are spread over the nodes round-robin; in (a) each client also moves to the next
/// node after every pair, so that even one client's figure covers the leader and the followers alike.
/// </summary>
public static class LocksBenchmark
{
    public const string Name = "locks";

    /// <summary>Lease for benchmark locks; every pair releases its lock, so this only matters for a killed run.</summary>
    private const long TtlMs = 30_000;

    public sealed record Options(IReadOnlyList<int> Levels, int ContendedClients, long WaitMs, int StateClients);

    public static async Task<IReadOnlyList<LevelResult>> RunAsync(ClusterClient client, BenchSettings settings, Options options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var nodes = await Targets.DiscoverAsync(client, TimeSpan.FromSeconds(10));
        var targets = Targets.Select(nodes, Targets.All);
        output.WriteLine("== locks: the lock API through every node ==");
        output.WriteLine($"  nodes      {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}"))}; leader {nodes.FirstOrDefault(n => n.LeaderId is not null)?.LeaderId}; client i talks to node i mod {targets.Count}");
        output.WriteLine($"  timing     {settings.Describe()}");
        output.WriteLine($"  (a) uncontended: {string.Join(",", options.Levels)} clients, client i acquires (exclusive, wait_ms 0, ttl_ms {TtlMs}) and releases bench-lock-{{i}}; one op = the pair;");
        output.WriteLine($"                   pair k of client i goes to node (i + k) mod {targets.Count}, so every client meets the leader and the followers alike");
        output.WriteLine($"  (b) contended:   {options.ContendedClients} clients on resource bench-contended, acquire (exclusive, wait_ms {options.WaitMs}) then release; one op = one grant");
        output.WriteLine($"  (c) state reads: {options.StateClients} clients, GET /locks/state (linearizable) and GET /locks/state?consistency=local");

        var results = new List<LevelResult>();
        foreach (var level in options.Levels)
        {
            results.Add(await PairsAsync(client, settings, targets, "uncontended", $"{level} client{(level == 1 ? "" : "s")}", level, i => $"bench-lock-{i}", 0, rotate: true));
        }

        results.Add(await PairsAsync(client, settings, targets, "contended", $"{options.ContendedClients} clients, 1 resource", options.ContendedClients, _ => "bench-contended", options.WaitMs, rotate: false));
        var linearizable = targets.Select(t => new Uri(t, "/locks/state")).ToArray();
        var local = targets.Select(t => new Uri(t, "/locks/state?consistency=local")).ToArray();
        results.Add(await TimedRunner.RunAsync("state", $"{options.StateClients} clients, linearizable", options.StateClients, settings,
            (i, ct) => client.GetAsync(Targets.For(linearizable, i), ct)));
        results.Add(await TimedRunner.RunAsync("state", $"{options.StateClients} clients, local", options.StateClients, settings,
            (i, ct) => client.GetAsync(Targets.For(local, i), ct)));
        ResultTable.WriteText(output, "ops/s", results);
        return results;
    }

    /// <summary>
    /// Acquire then release in a closed loop; the release is sent only after a grant, to the node that granted.
    /// With <paramref name="rotate"/> each pair goes to the next node (<see cref="Targets.Rotating"/>).
    /// </summary>
    private static Task<LevelResult> PairsAsync(ClusterClient client, BenchSettings settings, IReadOnlyList<Uri> targets, string benchmark, string level, int clients, Func<int, string> resource, long waitMs, bool rotate)
    {
        var acquires = Enumerable.Range(0, clients).Select(i => LockBodies.Acquire(resource(i), $"bench-lock-client-{i}", "exclusive", waitMs, TtlMs)).ToArray();
        var releases = Enumerable.Range(0, clients).Select(i => LockBodies.Release(resource(i), $"bench-lock-client-{i}")).ToArray();
        var acquireUrls = targets.Select(t => new Uri(t, "/locks/acquire")).ToArray();
        var releaseUrls = targets.Select(t => new Uri(t, "/locks/release")).ToArray();
        var rounds = new long[clients]; // each client is one worker, so its slot needs no synchronisation
        return TimedRunner.RunAsync(benchmark, level, clients, settings, async (i, ct) =>
        {
            var node = Targets.Rotating(targets.Count, i, rotate ? rounds[i]++ : 0); // round 0 is client i mod count, as Targets.For
            var acquired = await client.PostAsync(acquireUrls[node], acquires[i], ct);
            if (acquired.Kind != OpKind.Ok)
            {
                return acquired;
            }

            var released = await client.PostAsync(releaseUrls[node], releases[i], ct);
            return released.Kind == OpKind.Ok ? OpResult.Ok : OpResult.Failed($"release {released.Detail}");
        });
    }
}
