using System.Globalization;
using DistSync.Client;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// Exclusive locks on a few contended resources, taken as an app takes them through <see cref="DistSyncClient"/>: try to
/// acquire (no wait; the hold belongs to the client's session), hold a moment, release by disposing the hold (which names
/// it by its fencing token). The client's <see cref="LockHold.HandleLost"/> is watched: when it fires before the release,
/// the client stops counting on the hold then, and the history records a <see cref="OpKinds.Lost"/> there instead of a
/// release, so the checker holds the client to its promise that nobody else is granted the lock before it fires. An
/// acquire left unknown is recorded with a lease of 0: the client abandons it (releases its holder), so whatever it got
/// may end any time after it began. A quarter of the operations read one resource (<c>GET /locks/resource</c>).
/// Resources are renamed every <see cref="Rotation"/> so each one's history stays small enough to check for
/// linearizability quickly, however long the run.
/// </summary>
public sealed class LockWorkload(string run) : IChaosWorkload
{
    private const int Resources = 3;
    private static readonly TimeSpan Rotation = TimeSpan.FromSeconds(10);

    private readonly string _prefix = $"{run}/lock/";

    public string Name => "locks";

    public async Task RunClientAsync(ChaosClient client, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(client);
        while (!stop.IsCancellationRequested)
        {
            var resource = Resource(client);
            if (client.Random.Next(4) == 0)
            {
                await InspectAsync(client, resource, stop);
                continue;
            }

            var (acquire, hold) = await client.RecordAsync(OpKinds.Acquire, resource, client.Process,
                ct => client.Client.Locks.TryAcquireAsync(resource, LockMode.Exclusive, TimeSpan.Zero, ct), stop,
                (op, granted) => op.IsUnknown ? op with { TtlMs = 0 }
                    : op.Outcome == Outcome.Failed ? op
                    : granted is null ? op with { Outcome = Outcome.Failed, Detail = "409 busy" }
                    : op with { Token = granted.FencingToken });
            if (acquire.Outcome != Outcome.Ok || hold is null)
            {
                await client.PauseAsync(20, 60, stop);
                continue;
            }

            await HoldAndReleaseAsync(client, resource, hold, stop);
        }
    }

    public Task<string?> FinishAsync(IReadOnlyList<ChaosClient> clients, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history) => LockChecker.Check(history);

    private static async Task HoldAndReleaseAsync(ChaosClient client, string resource, LockHold hold, CancellationToken stop)
    {
        long lostAt = 0;
        using (hold.HandleLost.Register(() => Interlocked.CompareExchange(ref lostAt, client.Now(), 0)))
        {
            await client.PauseAsync(20, 150, stop);
            if (Interlocked.Read(ref lostAt) == 0)
            {
                await client.RecordAsync(OpKinds.Release, resource, null, _ => hold.DisposeAsync().AsTask(), CancellationToken.None);
                return;
            }
        }

        // The client said the hold was gone before the app let go: from then on nobody may count on it being held.
        var lost = Interlocked.Read(ref lostAt);
        client.History.Add(new ChaosOp(client.Process, client.Node, OpKinds.Lost, resource, null, lost, lost, Outcome.Unknown)
        {
            Token = hold.FencingToken,
            Detail = "handle lost",
        });
        await hold.DisposeAsync();
    }

    private static async Task InspectAsync(ChaosClient client, string resource, CancellationToken stop) =>
        await client.RecordAsync(OpKinds.LockState, resource, null, ct => client.Client.Locks.InspectAsync(resource, ct), stop,
            (op, info) => op.Outcome == Outcome.Ok && info is not null
                ? op with { Value = LockStateValue.Format(info.Holders.Select(h => new KeyValuePair<string, string>(resource, ProcessOf(h.ClientId)))) }
                : op);

    /// <summary>The chaos client a holder id names: a <see cref="DistSyncClient"/>'s holds are <c>{ClientId}/{n}</c>.</summary>
    private static string ProcessOf(string holder) => holder.Split('/')[0];

    private string Resource(ChaosClient client) => string.Create(CultureInfo.InvariantCulture,
        $"{_prefix}{client.Now() / (long)(Rotation.TotalMilliseconds * 1000)}-{client.Random.Next(Resources)}");
}
