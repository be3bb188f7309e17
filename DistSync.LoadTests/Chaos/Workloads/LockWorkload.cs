using System.Globalization;
using System.Text.Json;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// Exclusive locks on a few contended resources: try to acquire (no wait, a lease of <see cref="TtlMs"/>), hold a
/// moment, release naming the hold by its fencing token, as a careful client does: a release whose answer was lost may
/// still be applied long after, and without the token it would free whatever the client holds by then. An acquire whose
/// outcome is unknown is asked again with the same <c>request_id</c>, which answers the first attempt's grant (or tries
/// afresh); if it stays unknown the client leaves the lease to run out. A quarter of the operations read
/// <c>GET /locks/state</c>. Resources are renamed every <see cref="Rotation"/> so each one's history stays small enough
/// to check for linearizability quickly, however long the run.
/// </summary>
public sealed class LockWorkload(string run) : IChaosWorkload
{
    public const long TtlMs = 3000;
    private const int Resources = 3;
    private static readonly TimeSpan Rotation = TimeSpan.FromSeconds(10);

    private readonly string _prefix = $"{run}/lock/";

    public string Name => "locks";

    public async Task RunClientAsync(ChaosClient client, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(client);
        while (!stop.IsCancellationRequested)
        {
            if (client.Random.Next(4) == 0)
            {
                await ReadStateAsync(client, stop);
                continue;
            }

            var resource = Resource(client);
            var body = LockBodies.Acquire(resource, client.Process, "exclusive", 0, TtlMs, requestId: Guid.NewGuid().ToString("n"));
            var acquire = await AcquireAsync(client, resource, body, stop);
            for (var again = 0; again < 3 && acquire.Outcome == Outcome.Unknown && !stop.IsCancellationRequested; again++)
            {
                acquire = await AcquireAsync(client, resource, body, stop);
            }

            if (acquire.Outcome == Outcome.Failed)
            {
                await client.PauseAsync(20, 60, stop);
                continue;
            }

            if (acquire.Token is not { } held)
            {
                // Granted or not, nobody can say: a release without the token could free a later hold, so let the lease run out.
                await client.PauseAsync((int)TtlMs, (int)TtlMs + 100, stop);
                continue;
            }

            await client.PauseAsync(20, 150, stop);
            await client.RecordAsync(OpKinds.Release, resource, null, HttpMethod.Post, "/locks/release", LockBodies.Release(resource, client.Process, held), CancellationToken.None);
        }
    }

    private static async Task<ChaosOp> AcquireAsync(ChaosClient client, string resource, byte[] body, CancellationToken stop) =>
        (await client.RecordAsync(OpKinds.Acquire, resource, client.Process, HttpMethod.Post, "/locks/acquire", body, stop,
            (op, answer) => op with
            {
                // What is left of the lease when the answer was decided: a repeat may answer a grant made long before.
                TtlMs = answer.IsOk && ChaosHttp.Property(answer.Body, "ttl_remaining_ms") is { ValueKind: JsonValueKind.Number } left ? left.GetInt64() : TtlMs,
                Token = answer.IsOk && ChaosHttp.Property(answer.Body, "fencing_token") is { ValueKind: JsonValueKind.Number } token ? token.GetInt64() : null,
            })).Op;

    public Task<string?> FinishAsync(IReadOnlyList<ChaosClient> clients, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history) => LockChecker.Check(history);

    private async Task ReadStateAsync(ChaosClient client, CancellationToken stop)
    {
        await client.RecordAsync(OpKinds.LockState, "", null, HttpMethod.Get, "/locks/state", null, stop, (op, answer) =>
            answer.IsOk && ChaosHttp.Property(answer.Body, "locks") is { ValueKind: JsonValueKind.Object } locks ? op with { Value = Holders(locks) } : op);
    }

    /// <summary>This run's exclusively held resources and their holder, in <see cref="LockStateValue"/>'s form.</summary>
    private string Holders(JsonElement locks)
    {
        var held = new List<KeyValuePair<string, string>>();
        foreach (var resource in locks.EnumerateObject().Where(r => r.Name.StartsWith(_prefix, StringComparison.Ordinal)))
        {
            if (ChaosHttp.Property(resource.Value, "holders") is { ValueKind: JsonValueKind.Array } holders && holders.GetArrayLength() > 0)
            {
                held.Add(new(resource.Name, string.Join(",", holders.EnumerateArray().Select(h => h.GetString()))));
            }
        }

        return LockStateValue.Format(held);
    }

    private string Resource(ChaosClient client) => string.Create(CultureInfo.InvariantCulture,
        $"{_prefix}{client.Http.Now() / (long)(Rotation.TotalMilliseconds * 1000)}-{client.Random.Next(Resources)}");

}
