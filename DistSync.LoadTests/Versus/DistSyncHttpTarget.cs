using System.Globalization;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// DistSync through the tool's raw-HTTP driver (<see cref="ClusterClient"/>): pre-encoded requests spread over the
/// nodes, which forward what they do not serve, as the <c>locks</c>, <c>queue</c> and <c>cache</c> benchmarks send them
/// under <c>--driver http</c>. A lock pair goes to one node and the next pair to the next; a lock waits up to 30 s, as
/// the client's does.
/// </summary>
public sealed class DistSyncHttpTarget(ClusterClient client, IReadOnlyList<Uri> nodes, string run) : IVersusTarget
{
    /// <summary>The lease of a raw lock: every pair releases it, so this only matters for a killed run.</summary>
    private const long TtlMs = 30_000;

    private const long WaitMs = 30_000;

    public string System => VersusSystems.DistSync;

    public string Driver => Drivers.Http;

    public bool Runs(string workload) => true;

    public async Task<VersusRun> PrepareAsync(string workload, int workers, CancellationToken cancellationToken)
    {
        switch (workload)
        {
            case VersusWorkloads.Locks or VersusWorkloads.Contended:
                return Pairs(workers, i => workload == VersusWorkloads.Contended ? $"vs-{run}-contended-{workers}-http" : string.Create(CultureInfo.InvariantCulture, $"vs-{run}-lock-{workers}-{i}-http"));

            case VersusWorkloads.Reads:
                var read = $"vs-{run}-read-http";
                var holder = $"vs-{run}-reader";
                var acquired = await client.PostAsync(new Uri(nodes[0], "/locks/acquire"), LockBodies.Acquire(read, holder, "exclusive", 0, 120_000), cancellationToken);
                if (acquired.Kind != OpKind.Ok)
                {
                    throw new InvalidOperationException($"taking the lock the reads read failed: {acquired.Detail}");
                }

                var urls = nodes.Select(n => new Uri(n, $"/locks/resource?name={Uri.EscapeDataString(read)}")).ToArray();
                return new VersusRun(
                    (i, ct) => client.GetAsync(Targets.For(urls, i), ct),
                    async () => await client.PostAsync(new Uri(nodes[0], "/locks/release"), LockBodies.Release(read, holder), CancellationToken.None));

            case VersusWorkloads.Queue:
                return RoundTrips(SpreadTopic.Pick($"vs-{run}-rt-{workers}-http"), workers);

            case VersusWorkloads.Cache:
                var keys = Enumerable.Range(0, workers).Select(i => string.Create(CultureInfo.InvariantCulture, $"vs-{run}-{workers}-{i}-http")).ToArray();
                for (var i = 0; i < keys.Length; i++)
                {
                    var key = keys[i];
                    var set = await client.PostAsync(new Uri(Targets.For(nodes, i), "/cache/set"),
                        JsonBody.Object(w => { w.WriteString("key", key); w.WritePropertyName("value"); w.WriteRawValue(RedisTarget.Value); }), cancellationToken);
                    if (set.Kind != OpKind.Ok)
                    {
                        throw new InvalidOperationException($"setting the cache's keys failed: {set.Detail}");
                    }
                }

                // Worker i reads its key from node i mod N: its first read there fetches the line, the rest are hits.
                var gets = keys.Select((k, i) => new Uri(Targets.For(nodes, i), $"/cache/get?key={Uri.EscapeDataString(k)}")).ToArray();
                return new VersusRun((i, ct) => client.GetAsync(gets[i], ct));

            default:
                throw new ArgumentException($"unknown workload '{workload}'.", nameof(workload));
        }
    }

    /// <summary>Acquire then release, the release only after a grant and to the node that granted; each pair to the next node.</summary>
    private VersusRun Pairs(int workers, Func<int, string> resource)
    {
        var acquires = Enumerable.Range(0, workers).Select(i => LockBodies.Acquire(resource(i), $"vs-{run}-w{i}", "exclusive", WaitMs, TtlMs)).ToArray();
        var releases = Enumerable.Range(0, workers).Select(i => LockBodies.Release(resource(i), $"vs-{run}-w{i}")).ToArray();
        var acquireUrls = nodes.Select(t => new Uri(t, "/locks/acquire")).ToArray();
        var releaseUrls = nodes.Select(t => new Uri(t, "/locks/release")).ToArray();
        var rounds = new long[workers]; // each worker its own slot: no synchronisation needed
        return new VersusRun(async (i, ct) =>
        {
            var node = Targets.Rotating(nodes.Count, i, rounds[i]++);
            var acquired = await client.PostAsync(acquireUrls[node], acquires[i], ct);
            if (acquired.Kind != OpKind.Ok)
            {
                return acquired;
            }

            var released = await client.PostAsync(releaseUrls[node], releases[i], ct);
            return released.Kind == OpKind.Ok ? OpResult.Ok : OpResult.Failed($"release {released.Detail}");
        });
    }

    /// <summary>Publish, consume one (waiting up to 1 s), ack it; each request to the next node.</summary>
    private VersusRun RoundTrips(string topic, int workers)
    {
        var publish = JsonBody.Object(w => { w.WriteString("topic", topic); w.WritePropertyName("payload"); w.WriteRawValue("{\"order\":17}"); });
        var consume = JsonBody.Object(w => { w.WriteString("topic", topic); w.WriteNumber("wait_sec", 1); w.WriteNumber("visibility_timeout_sec", 30); });
        var publishUrls = nodes.Select(t => new Uri(t, "/queue/publish")).ToArray();
        var consumeUrls = nodes.Select(t => new Uri(t, "/queue/consume")).ToArray();
        var ackUrls = nodes.Select(t => new Uri(t, "/queue/ack")).ToArray();
        var rounds = new long[workers];
        return new VersusRun(async (i, ct) =>
        {
            var published = await client.PostAsync(publishUrls[Targets.Rotating(nodes.Count, i, rounds[i]++)], publish, ct);
            if (published.Kind != OpKind.Ok)
            {
                return OpResult.Failed($"publish {published.Detail}");
            }

            var (consumed, message) = await client.PostReadAsync(consumeUrls[Targets.Rotating(nodes.Count, i, rounds[i]++)], consume, ct);
            if (consumed.Kind != OpKind.Ok || message.GetProperty("status").GetString() != "ok")
            {
                return consumed.Kind != OpKind.Ok ? OpResult.Failed($"consume {consumed.Detail}") : OpResult.Failed("consume found nothing within 1 s");
            }

            var ack = JsonBody.Object(w => { w.WriteString("topic", topic); w.WriteString("id", message.GetProperty("id").GetString()); w.WriteString("receipt", message.GetProperty("receipt").GetString()); });
            var acked = await client.PostAsync(ackUrls[Targets.Rotating(nodes.Count, i, rounds[i]++)], ack, ct);
            return acked.Kind == OpKind.Ok ? OpResult.Ok : OpResult.Failed($"ack {acked.Detail}");
        });
    }
}
