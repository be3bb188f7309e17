using System.Globalization;
using System.Text.Json;
using DistSync.Client;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// DistSync through DistSync.Client, one client shared by every worker as an app's requests share one (each lock hold
/// is still a holder of its own). Locks: <c>AcquireAsync</c> (waiting up to 30 s, as etcd's Lock waits), then disposing
/// the hold; reads: <c>InspectAsync</c> of a held lock (a linearizable <c>GET /locks/resource</c>); the queue: publish,
/// <c>ConsumeBatchAsync(topic, 1)</c> waiting up to 1 s, ack; the cache: <c>GetAsync</c> of the worker's own key.
/// </summary>
public sealed class DistSyncClientTarget(DistSyncClient app, string run) : IVersusTarget
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public string System => VersusSystems.DistSync;

    public string Driver => Drivers.Client;

    public bool Runs(string workload) => true;

    public async Task<VersusRun> PrepareAsync(string workload, int workers, CancellationToken cancellationToken)
    {
        switch (workload)
        {
            case VersusWorkloads.Locks or VersusWorkloads.Contended:
                var names = Enumerable.Range(0, workers)
                    .Select(i => workload == VersusWorkloads.Contended ? $"vs-{run}-contended-{workers}" : string.Create(CultureInfo.InvariantCulture, $"vs-{run}-lock-{workers}-{i}"))
                    .ToArray();
                return new VersusRun((i, ct) => ClientOutcome.RunAsync(async () =>
                {
                    var hold = await app.Locks.AcquireAsync(names[i], LockMode.Exclusive, Wait, ct);
                    await hold.DisposeAsync();
                }));

            case VersusWorkloads.Reads:
                var read = $"vs-{run}-read-client";
                var held = await app.Locks.AcquireAsync(read, cancellationToken: cancellationToken);
                return new VersusRun(
                    (_, ct) => ClientOutcome.RunAsync(async () =>
                    {
                        var info = await app.Locks.InspectAsync(read, ct);
                        return info.Holders.Count == 1 ? OpResult.Ok : OpResult.Failed("the held lock read as free");
                    }),
                    async () => await held.DisposeAsync());

            case VersusWorkloads.Queue:
                var topic = SpreadTopic.Pick($"vs-{run}-rt-{workers}-client");
                using (var order = JsonDocument.Parse("{\"order\":17}"))
                {
                    var payload = order.RootElement.Clone();
                    var consume = new ConsumeOptions { Wait = TimeSpan.FromSeconds(1), VisibilityTimeout = TimeSpan.FromSeconds(30) };
                    return new VersusRun((_, ct) => ClientOutcome.RunAsync(async () =>
                    {
                        await app.Queue.PublishAsync(topic, payload, cancellationToken: ct);
                        var messages = await app.Queue.ConsumeBatchAsync<JsonElement>(topic, 1, consume, ct);
                        if (messages.Count == 0)
                        {
                            return OpResult.Failed("consume found nothing within 1 s");
                        }

                        await messages[0].AckAsync(ct);
                        return OpResult.Ok;
                    }));
                }

            case VersusWorkloads.Cache:
                var keys = Enumerable.Range(0, workers).Select(i => string.Create(CultureInfo.InvariantCulture, $"vs-{run}-{workers}-{i}-client")).ToArray();
                using (var value = JsonDocument.Parse(RedisTarget.Value))
                {
                    var element = value.RootElement.Clone();
                    await Task.WhenAll(keys.Select(k => app.Cache.SetAsync(k, element, cancellationToken: cancellationToken)));
                }

                return new VersusRun((i, ct) => ClientOutcome.RunAsync(async () =>
                {
                    var value = await app.Cache.GetAsync<JsonElement>(keys[i], ct);
                    return value.ValueKind == JsonValueKind.Undefined ? OpResult.Failed("miss") : OpResult.Ok;
                }));

            default:
                throw new ArgumentException($"unknown workload '{workload}'.", nameof(workload));
        }
    }
}
