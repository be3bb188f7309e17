using DistSync.Client;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The lock API under load: (a) uncontended acquire+release pairs, each client on its own resource;
/// (b) contended grants, every client queueing on one resource; (c) <c>GET /locks/state</c> reads,
/// linearizable and local. Under the http driver clients are spread over the nodes round-robin, and in (a) each client
/// also moves to the next node after every pair, so that even one client's figure covers the leader and the followers
/// alike. Under the client driver (a) and (b) go through one shared <see cref="DistSyncClient"/>, which sends them to the
/// leader; each hold is a holder of its own, so its workers contend as separate clients would. (c) is raw HTTP under
/// both: the client has no read of the lock table.
/// </summary>
public static class LocksBenchmark
{
    public const string Name = "locks";

    /// <summary>Lease for benchmark locks; every pair releases its lock, so this only matters for a killed run.</summary>
    private const long TtlMs = 30_000;

    public sealed record Options(IReadOnlyList<int> Levels, int ContendedClients, long WaitMs, int StateClients);

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
        output.WriteLine("== locks: the lock API through every node ==");
        output.WriteLine($"  nodes      {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.Url}"))}; leader {nodes.FirstOrDefault(n => n.LeaderId is not null)?.LeaderId}; {(app is null ? "" : "state-reading ")}client i talks to node i mod {targets.Count}");
        output.WriteLine($"  timing     {settings.Describe()}");
        if (app is null)
        {
            output.WriteLine("  driver     http: pre-encoded requests through ClusterClient");
            output.WriteLine($"  (a) uncontended: {string.Join(",", options.Levels)} clients, client i acquires (exclusive, wait_ms 0, ttl_ms {TtlMs}) and releases bench-lock-{{i}}; one op = the pair;");
            output.WriteLine($"                   pair k of client i goes to node (i + k) mod {targets.Count}, so every client meets the leader and the followers alike");
            output.WriteLine($"  (b) contended:   {options.ContendedClients} clients on resource bench-contended, acquire (exclusive, wait_ms {options.WaitMs}) then release; one op = one grant");
        }
        else
        {
            output.WriteLine($"  driver     client: one DistSyncClient ({app.ClientId}) shared by every worker; lock writes go to the leader, holds belong to its session");
            output.WriteLine($"  (a) uncontended: {string.Join(",", options.Levels)} clients, client i takes bench-lock-{{i}} (TryAcquireAsync, exclusive, no wait) and disposes the hold (release); one op = the pair");
            output.WriteLine($"  (b) contended:   {options.ContendedClients} clients on resource bench-contended, TryAcquireAsync (exclusive, wait {options.WaitMs} ms) then release; one op = one grant");
        }

        output.WriteLine($"  (c) state reads: {options.StateClients} clients, GET /locks/state (linearizable) and GET /locks/state?consistency=local{(app is null ? "" : ", raw HTTP (the client has no such read)")}");

        var results = new List<LevelResult>();
        foreach (var level in options.Levels)
        {
            var name = $"{level} client{(level == 1 ? "" : "s")}";
            results.Add(app is null
                ? await PairsAsync(client, settings, targets, "uncontended", name, level, i => $"bench-lock-{i}", 0, rotate: true)
                : await PairsAsync(app, settings, "uncontended", name, level, i => $"bench-lock-{i}", TimeSpan.Zero));
        }

        var contended = $"{options.ContendedClients} clients, 1 resource";
        results.Add(app is null
            ? await PairsAsync(client, settings, targets, "contended", contended, options.ContendedClients, _ => "bench-contended", options.WaitMs, rotate: false)
            : await PairsAsync(app, settings, "contended", contended, options.ContendedClients, _ => "bench-contended", TimeSpan.FromMilliseconds(options.WaitMs)));
        var linearizable = targets.Select(t => new Uri(t, "/locks/state")).ToArray();
        var local = targets.Select(t => new Uri(t, "/locks/state?consistency=local")).ToArray();
        results.Add(await TimedRunner.RunAsync("state", $"{options.StateClients} clients, linearizable", options.StateClients, settings.RawHttp,
            (i, ct) => client.GetAsync(Targets.For(linearizable, i), ct)));
        results.Add(await TimedRunner.RunAsync("state", $"{options.StateClients} clients, local", options.StateClients, settings.RawHttp,
            (i, ct) => client.GetAsync(Targets.For(local, i), ct)));
        ResultTable.WriteText(output, "ops/s", results);
        return results;
    }

    /// <summary>
    /// Acquire then release in a closed loop; the release is sent only after a grant, to the node that granted.
    /// With <paramref name="rotate"/> each pair goes to the next node (<see cref="Targets.Rotating"/>).
    /// </summary>
    internal static Task<LevelResult> PairsAsync(ClusterClient client, BenchSettings settings, IReadOnlyList<Uri> targets, string benchmark, string level, int clients, Func<int, string> resource, long waitMs, bool rotate)
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

    /// <summary>
    /// The same loop through the client: a hold, then its disposal (the release, by its fencing token, to the leader). A
    /// lock not granted is a refusal named as the node names it; a release that fails is the pair's failure.
    /// </summary>
    private static Task<LevelResult> PairsAsync(DistSyncClient app, BenchSettings settings, string benchmark, string level, int clients, Func<int, string> resource, TimeSpan wait)
    {
        var resources = Enumerable.Range(0, clients).Select(resource).ToArray();
        return TimedRunner.RunAsync(benchmark, level, clients, settings, (i, ct) => ClientOutcome.RunAsync(async () =>
        {
            var hold = await app.Locks.TryAcquireAsync(resources[i], LockMode.Exclusive, wait, ct);
            if (hold is null)
            {
                return ClientOutcome.NotGranted(wait);
            }

            return ClientOutcome.Step("release", await ClientOutcome.RunAsync(() => hold.DisposeAsync().AsTask()));
        }));
    }
}
