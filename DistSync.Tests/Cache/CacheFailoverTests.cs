using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DistSync.Hosting;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Cache;

/// <summary>
/// The cache's promises on real processes: a node SIGKILLed while it holds a line in M loses no acknowledged write;
/// a sharer frozen with SIGSTOP delays a write by at most its lease and serves no stale value when thawed; and a
/// history of concurrent gets and sets on all nodes, with a node killed midway, is linearizable per key.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CacheFailoverTests(CacheFailoverTests.Cluster cluster) : IClassFixture<CacheFailoverTests.Cluster>
{
    /// <summary>The nodes' lease (the default).</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private CacheClient Node(string node, TimeSpan? timeout = null)
    {
        var http = cluster.CreateHttpClient(node);
        http.Timeout = timeout ?? TimeSpan.FromSeconds(30);
        return new CacheClient(http);
    }

    [Fact]
    public async Task OwnerKilledWhileHoldingM_WriteThrough_NothingAcknowledgedIsLost()
    {
        await EveryNodeRunningAsync();
        var keys = Enumerable.Range(0, 5).Select(i => $"kill-{i}-{Guid.NewGuid():n}").ToList();
        var versions = new Dictionary<string, long>();
        foreach (var key in keys)
        {
            await Node("node1").SetAsync(key, "\"first\"");
            var last = await Node("node1").SetAsync(key, "\"acknowledged\""); // silent: node1 holds it in M
            Assert.Equal("M", last.Body.GetProperty("state").GetString());
            versions[key] = last.Body.GetProperty("version").GetInt64();
        }

        await cluster.KillAsync("node1");

        foreach (var key in keys)
        {
            var read = await Eventually.UntilAsync(async () =>
            {
                var r = await Node("node2").GetAsync(key);
                return r.Code == HttpStatusCode.OK ? r : null;
            }, Patience, $"{key} readable after node1's death");
            Assert.Equal(("\"acknowledged\"", versions[key]), (read.Value, read.Version));
            Assert.Equal("\"acknowledged\"", (await Node("node3").GetAsync(key)).Value);
        }

        await cluster.StartAsync("node1");
        await EveryNodeRunningAsync();
        Assert.Equal("\"acknowledged\"", (await Node("node1").GetAsync(keys[0])).Value);
    }

    [Fact]
    public async Task SharerFrozen_WriteWaitsAtMostTheLease_ThawedSharerServesNothingStale()
    {
        await EveryNodeRunningAsync();
        // A key whose home is not the node to be frozen (a frozen home would stop the write until the ring moves).
        var key = await KeyHomedOutsideAsync("node3");
        await Node("node1").SetAsync(key, "\"old\"");
        Assert.Equal("\"old\"", (await Node("node3").GetAsync(key)).Value);
        var asked = Stopwatch.GetTimestamp();
        var lines = (await Node("node1").RawGetAsync($"/cache/lines?key={key}")).Body.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("node").GetString() == "node3");
        Assert.Equal("S", lines.GetProperty("state").GetString());
        var sharerLeaseEnds = asked + (long)(lines.GetProperty("lease_left_ms").GetInt64() / 1000.0 * Stopwatch.Frequency);

        await cluster.CommandAsync("node3", NodeCommands.Pause);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var write = await Node("node1").SetAsync(key, "\"new\"");
            var took = Stopwatch.GetElapsedTime(started);

            Assert.Equal(HttpStatusCode.OK, write.Code);
            // The frozen sharer never acknowledged: the write may return only once its lease has ended (a few ms of
            // slack for the lease having been read a moment after it was measured).
            var early = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), sharerLeaseEnds);
            Assert.True(early < TimeSpan.FromMilliseconds(20), $"the write returned {early.TotalMilliseconds:F0} ms before the frozen sharer's lease ended");
            // The frozen sharer's lease (2 s at most, plus the home's 100 ms margin) bounds the wait: under two leases
            // however loaded the machine, which a write that waited out a second lease would not be.
            Assert.True(took < 2 * Lease, $"the write took {took.TotalMilliseconds:F0} ms");
            Assert.Equal("\"new\"", (await Node("node2").GetAsync(key)).Value);
        }
        finally
        {
            await cluster.CommandAsync("node3", NodeCommands.Resume);
        }

        var thawed = await Node("node3").GetAsync(key);
        Assert.Equal((HttpStatusCode.OK, "\"new\""), (thawed.Code, thawed.Value));
    }

    [Fact]
    public async Task ConcurrentGetsAndSets_OnAllNodes_NodeKilledMidway_HistoryIsLinearizable()
    {
        await EveryNodeRunningAsync();
        var run = Guid.NewGuid().ToString("n")[..8];
        string[] keys = [$"lin-a-{run}", $"lin-b-{run}", $"lin-c-{run}"];
        var history = new ConcurrentBag<RegisterOp>();
        var counts = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        async Task ClientAsync(string home, int id)
        {
            // Each operation goes to a node picked at random (as through a load balancer), so a client's read often
            // follows its own write on another node: the case a missed invalidation shows up in.
            var client = $"{home}/c{id}";
            var caches = cluster.NodeNames.ToDictionary(n => n, n => Node(n, TimeSpan.FromSeconds(10)));
            var random = new Random(HashCode.Combine(home, id));
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                var node = cluster.NodeNames[random.Next(cluster.NodeNames.Count)];
                var cache = caches[node];
                var key = keys[random.Next(keys.Length)];
                var write = random.Next(10) < 3;
                var value = write ? JsonSerializer.Serialize($"{client}#{seq}") : null;
                var invoked = clock.ElapsedTicks;
                try
                {
                    if (write)
                    {
                        var reply = await cache.SetAsync(key, value!);
                        var completed = clock.ElapsedTicks;
                        if (reply.Code == HttpStatusCode.OK)
                        {
                            history.Add(new RegisterOp($"{client}@{node} (v{reply.Body.GetProperty("version").GetInt64()}{(reply.Body.GetProperty("silent").GetBoolean() ? " silent" : "")})", key, true, value, invoked, completed));
                            counts.AddOrUpdate("set ok", 1, (_, n) => n + 1);
                        }
                        else if (reply.Body.TryGetProperty("may_have_been_applied", out var maybe) && !maybe.GetBoolean())
                        {
                            counts.AddOrUpdate("set refused", 1, (_, n) => n + 1); // did nothing
                        }
                        else
                        {
                            history.Add(new RegisterOp(client, key, true, value, invoked, long.MaxValue));
                            counts.AddOrUpdate($"set {(int)reply.Code}", 1, (_, n) => n + 1);
                        }
                    }
                    else
                    {
                        var read = await cache.GetAsync(key);
                        var completed = clock.ElapsedTicks;
                        if (read.Code == HttpStatusCode.OK)
                        {
                            history.Add(new RegisterOp($"{client}@{node} ({read.Status} {read.State} v{read.Version})", key, false, read.Value, invoked, completed));
                            counts.AddOrUpdate($"get {read.Status}", 1, (_, n) => n + 1);
                        }
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException)
                {
                    // The node died or did not answer in time: a set's outcome is unknown, a get's says nothing.
                    if (write)
                    {
                        history.Add(new RegisterOp(client, key, true, value, invoked, long.MaxValue));
                    }

                    counts.AddOrUpdate("no answer", 1, (_, n) => n + 1);
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }

        var clients = cluster.NodeNames.SelectMany(n => Enumerable.Range(0, 2).Select(i => ClientAsync(n, i))).ToList();
        await Eventually.UntilAsync(() => history.Count >= 400, Patience, "400 operations before the kill");
        await cluster.KillAsync("node2");
        var atKill = history.Count;
        await Eventually.UntilAsync(() => history.Count >= atKill + 400, Patience, "400 operations after the kill");
        await cluster.StartAsync("node2");
        await EveryNodeRunningAsync();
        var atRestart = history.Count;
        await Eventually.UntilAsync(() => history.Count >= atRestart + 300, Patience, "300 operations after the restart");
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        var verdict = RegisterChecker.Check(history);
        var summary = string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}"));
        Assert.True(verdict.Linearizable, $"{verdict}{Environment.NewLine}({summary})");
        Assert.True(counts.GetValueOrDefault("get hit") > 50, $"hits must be part of the history ({summary})");
        Assert.True(history.Count(o => o.IsWrite && !o.Unknown) > 100, $"writes must be part of the history ({summary})");
    }

    private async Task<string> KeyHomedOutsideAsync(string node)
    {
        for (var i = 0; ; i++)
        {
            var key = $"freeze-{i}-{Guid.NewGuid():n}";
            var lines = await Node("node1").RawGetAsync($"/cache/lines?key={key}");
            if (lines.Body.GetProperty("home").GetString() != node)
            {
                return key;
            }
        }
    }

    private async Task EveryNodeRunningAsync()
    {
        foreach (var node in cluster.NodeNames.Where(n => !cluster.IsRunning(n)))
        {
            await cluster.StartAsync(node);
        }

        // Every node answers and agrees on the ring (all three members).
        await Eventually.UntilAsync(async () =>
        {
            foreach (var node in cluster.NodeNames)
            {
                try
                {
                    var view = await Node(node, TimeSpan.FromSeconds(2)).RawGetAsync("/cluster/state");
                    if (view.Code != HttpStatusCode.OK || view.Body.GetProperty("sections").GetProperty("queue").GetProperty("ring_members").GetArrayLength() != 3)
                    {
                        return false;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException)
                {
                    return false;
                }
            }

            return true;
        }, Patience, "all three nodes up and in the ring");
    }
}
