using System.Globalization;
using System.Text.Json;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// Exclusive locks on a few contended resources: try to acquire (no wait, a lease of <see cref="TtlMs"/>), hold a
/// moment, release; a release also follows an acquire whose outcome is unknown (it may have been granted). A quarter of
/// the operations read <c>GET /locks/state</c>. Resources are renamed every <see cref="Rotation"/> so each one's history
/// stays small enough to check for linearizability quickly, however long the run.
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
            var body = LockBodies.Acquire(resource, client.Process, "exclusive", 0, TtlMs);
            var (acquire, _) = await client.RecordAsync(OpKinds.Acquire, resource, client.Process, HttpMethod.Post, "/locks/acquire", body, stop,
                (op, answer) => op with
                {
                    TtlMs = TtlMs,
                    Token = answer.IsOk && ChaosHttp.Property(answer.Body, "fencing_token") is { ValueKind: JsonValueKind.Number } token ? token.GetInt64() : null,
                });
            if (acquire.Outcome == Outcome.Failed)
            {
                await client.PauseAsync(20, 60, stop);
                continue;
            }

            if (acquire.Outcome == Outcome.Ok)
            {
                await client.PauseAsync(20, 150, stop);
            }

            await client.RecordAsync(OpKinds.Release, resource, null, HttpMethod.Post, "/locks/release", LockBodies.Release(resource, client.Process), CancellationToken.None);
        }
    }

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
