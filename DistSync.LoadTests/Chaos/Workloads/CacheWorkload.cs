using System.Globalization;
using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// Reads and writes on a few keys from every node: each client's reads and writes go to its own node (its
/// <c>CacheNode</c>, as an app beside a node is set up), so every node's copies are read; a write sets a value no other
/// write sets, and a read returns the register's value (a miss fetches it from the key's home). Keys
/// are renamed every 10 s (a round), so each register's history stays small enough for the linearizability
/// search however long the run; once the faults have healed, every node reads every key of the last round once more.
/// </summary>
public sealed class CacheWorkload(string run) : IChaosWorkload
{
    private const int Keys = 4;
    private static readonly long RotationMicros = (long)TimeSpan.FromSeconds(10).TotalMicroseconds;

    private readonly string _prefix = $"{run}/cache/";
    private long _sequence;
    private long _lastRound;

    public string Name => "cache";

    public async Task RunClientAsync(ChaosClient client, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(client);
        while (!stop.IsCancellationRequested)
        {
            var round = client.Now() / RotationMicros;
            var key = Key(round, client.Random.Next(Keys));
            if (client.Random.Next(3) == 0)
            {
                InterlockedMax(ref _lastRound, round);
                await WriteAsync(client, key, stop);
            }
            else
            {
                await ReadAsync(client, key, stop);
            }

            await client.PauseAsync(5, 40, stop);
        }
    }

    public async Task<string?> FinishAsync(IReadOnlyList<ChaosClient> clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        // The last round the clients wrote in (not the round of now: healing and the queue's drain take time).
        var round = Interlocked.Read(ref _lastRound);
        foreach (var client in clients.DistinctBy(c => c.Node))
        {
            for (var slot = 0; slot < Keys; slot++)
            {
                await ReadAsync(client, Key(round, slot), cancellationToken);
            }
        }

        return null;
    }

    public IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history) => CacheChecker.Check(history);

    private async Task WriteAsync(ChaosClient client, string key, CancellationToken stop)
    {
        var value = string.Create(CultureInfo.InvariantCulture, $"{client.Process}-{Interlocked.Increment(ref _sequence)}");
        await client.RecordAsync(OpKinds.CacheWrite, key, value, ct => client.Client.Cache.SetAsync(key, value, cancellationToken: ct), stop);
    }

    private static Task ReadAsync(ChaosClient client, string key, CancellationToken cancellationToken) =>
        client.RecordAsync(OpKinds.CacheRead, key, null, ct => client.Client.Cache.GetAsync<string>(key, ct), cancellationToken,
            (op, value) => op.Outcome == Outcome.Ok ? op with { Value = value } : op);

    private string Key(long round, int slot) => string.Create(CultureInfo.InvariantCulture, $"{_prefix}{round}-{slot}");

    private static void InterlockedMax(ref long target, long value)
    {
        for (var seen = Interlocked.Read(ref target); value > seen; seen = Interlocked.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }
}
