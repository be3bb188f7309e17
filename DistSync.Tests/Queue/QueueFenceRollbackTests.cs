using System.Globalization;
using System.Net;
using DistSync.Node.Hosting;
using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DistSync.Tests.Queue;

/// <summary>
/// The partition fence when a Redis Cluster failover rolls a slot back, on a real cluster (three primaries, a replica
/// each) with <c>WaitReplicas = 1</c>. A promoted replica can hold an older fence than the dead primary had; that is
/// harmless because a new owner serves a partition only once its takeover (the script that raises the fence) was
/// answered, and an answered write is on the replica. So a deposed owner may write again after a rollback only while
/// nothing the new owner did was ever answered, and never after.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueFenceRollbackTests : IAsyncLifetime
{
    private const string Topic = "fenced";
    private const long Deposed = 1;
    private const long Current = 2;

    private static readonly PartitionKeys Keys = PartitionKeys.For(Topic, 0);

    private RedisCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await RedisCluster.StartAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Failover_RollsTheFenceBack_OnlyPastATakeoverThatWasNeverAnswered_AndNeverPastOneThatWas()
    {
        // A wait long enough for a replica on a loaded machine to confirm (300 ms was not, in CI); with the link cut it
        // is never confirmed, however long the wait.
        var store = new RedisQueueStore(_cluster.Connection,
            ReplicaWaits.For(_cluster.Connection, Options.Create(new RedisOptions { WaitReplicas = 1, WaitTimeout = TimeSpan.FromSeconds(3) })));
        var (primary, replica) = await SlotMembersAsync();

        // The old owner's publish is answered: it is on the replica too.
        var kept = QueueRing.NewId(0);
        Assert.False((await PublishAsync(store, Deposed, kept)).Stale);

        // The new owner's takeover reaches the primary but not the replica, so it is not answered; then the primary dies.
        await using (await _cluster.CutReplicationAsync(replica))
        {
            await Eventually.UntilAsync(async () => Field(await InfoAsync(primary, "replication"), "connected_slaves") == "0",
                TimeSpan.FromSeconds(10), "the primary has lost its replica's link");
            await Assert.ThrowsAsync<ReplicaWaitException>(() => TakeOverAsync(store, Current));
            Assert.Equal(Current.ToString(CultureInfo.InvariantCulture), await FenceOnAsync(primary));
            await _cluster.KillAsync(primary);
        }

        await Eventually.UntilAsync(async () => Field(await InfoAsync(replica, "replication"), "role") == "master",
            TimeSpan.FromSeconds(30), "the replica took over the dead primary's slots");

        // The rollback is real: the new primary has the old owner's fence, and the answered publish.
        Assert.Equal(Deposed.ToString(CultureInfo.InvariantCulture), await FenceOnAsync(replica));
        Assert.True(await HasMessageAsync(replica, kept), "the answered publish survived the failover");

        // The old primary comes back as the new one's replica (so writes can be answered again) and drops the lost takeover.
        _cluster.Restart(primary);
        await Eventually.UntilAsync(async () => await RoleAsync(primary) == "slave" && await LinkUpAsync(primary),
            TimeSpan.FromSeconds(30), "the old primary rejoined as a replica in sync");

        // The old owner, not yet told it was deposed, may still write: nothing the new owner did was answered, so it
        // has served nothing yet, and this write is ordered before anything it will do.
        await UntilAnsweredAsync(async () => await TryAsync(() => PublishAsync(store, Deposed, QueueRing.NewId(0))) is { Stale: false },
            "the old owner's write is answered once the slot has a replica again");

        // The new owner takes over again, and this time it is answered; from then on the old owner can write nothing.
        await UntilAnsweredAsync(async () => await TryAsync(() => TakeOverAsync(store, Current)) is { Stale: false },
            "the new owner's takeover is answered");
        Assert.True((await PublishAsync(store, Deposed, QueueRing.NewId(0))).Stale);

        // Another failover, the other way: the answered takeover was on the replica, so its fence survives it.
        await _cluster.KillAsync(replica);
        await Eventually.UntilAsync(async () => await RoleAsync(primary) == "master",
            TimeSpan.FromSeconds(30), "the old primary took its slots back");
        Assert.Equal(Current.ToString(CultureInfo.InvariantCulture), await FenceOnAsync(primary));
        // A refused write waits for no replica, so it answers although the slot has none now.
        PublishResult? refused = null;
        await UntilAnsweredAsync(async () => (refused = await TryAsync(() => PublishAsync(store, Deposed, QueueRing.NewId(0)))) is not null,
            "the client reaches the slot's new primary");
        Assert.True(refused!.Stale);
        Assert.Equal(Current, refused.StoredEpoch);
    }

    /// <summary>What a new owner does first: the requeue script, which raises the fence to its epoch.</summary>
    private static Task<RequeueResult> TakeOverAsync(RedisQueueStore store, long epoch) =>
        store.RequeueDueAsync(Topic, 0, epoch, maxDeliveries: 5, limit: 100, dedupWindowMs: 300_000);

    private static Task<PublishResult> PublishAsync(RedisQueueStore store, long epoch, string id) =>
        store.PublishAsync(Topic, 0, epoch, [new OutgoingMessage(id, new MessageRecord(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, null, null, "{}"), 0)], 300_000);

    /// <summary>Waits for the condition; if it never holds, the failure says what the last failed call said.</summary>
    private async Task UntilAnsweredAsync(Func<Task<bool>> condition, string what)
    {
        try
        {
            await Eventually.UntilAsync(condition, TimeSpan.FromSeconds(30), what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last Redis error: {_lastError}", ex);
        }
    }

    /// <summary>What the last failed call said, for a wait that times out.</summary>
    private string _lastError = "";

    /// <summary>The call's result, or null while the slot moves (a failed WAIT, a connection to a dead member, a MOVED not yet followed).</summary>
    private async Task<T?> TryAsync<T>(Func<Task<T>> call) where T : class
    {
        try
        {
            return await call();
        }
        catch (RedisException ex)
        {
            _lastError = $"{ex.GetType().Name}: {ex.Message}";
            return null;
        }
    }

    /// <summary>The ports of the primary serving the partition's slot and of its replica, once that replica is in sync.</summary>
    private async Task<(int Primary, int Replica)> SlotMembersAsync()
    {
        var primary = ((IPEndPoint)_cluster.Connection.GetDatabase().IdentifyEndpoint(Keys.All[0])!).Port;
        var replica = await Eventually.UntilAsync(async () => Field(await InfoAsync(primary, "replication"), "slave0") is { } line && line.Contains("state=online", StringComparison.Ordinal)
                ? int.Parse(line.Split(',').Single(p => p.StartsWith("port=", StringComparison.Ordinal))["port=".Length..], CultureInfo.InvariantCulture)
                : (int?)null,
            TimeSpan.FromSeconds(30), "the slot's replica is online");
        return (primary, replica!.Value);
    }

    private IServer Member(int port) => _cluster.Connection.GetServer(new IPEndPoint(IPAddress.Loopback, port));

    private async Task<string> InfoAsync(int port, string section) => await Member(port).InfoRawAsync(section) ?? "";

    private async Task<string?> RoleAsync(int port)
    {
        try
        {
            return Field(await InfoAsync(port, "replication"), "role");
        }
        catch (RedisException)
        {
            return null; // not reconnected yet
        }
    }

    private async Task<bool> LinkUpAsync(int port) => Field(await InfoAsync(port, "replication"), "master_link_status") == "up";

    /// <summary>The fence as that very member holds it (a MOVED answer is not followed to another).</summary>
    private async Task<string?> FenceOnAsync(int port) => (string?)await Member(port).ExecuteAsync("GET", [(string)Keys.All[0]!], CommandFlags.NoRedirect);

    private async Task<bool> HasMessageAsync(int port, string id) => (bool)await Member(port).ExecuteAsync("HEXISTS", [(string)Keys.All[4]!, id], CommandFlags.NoRedirect);

    private static string? Field(string info, string name) =>
        info.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];
}
