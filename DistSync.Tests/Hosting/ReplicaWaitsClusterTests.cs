using System.Diagnostics;
using System.Globalization;
using System.Net;
using DistSync.Node.Cache;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DistSync.Tests.Hosting;

/// <summary>
/// Writes with <c>DistSync:Redis:WaitReplicas = 1</c> on a real Redis Cluster (three primaries, a replica each): an
/// answered write is on the slot's replica, and with that replica stopped a write fails as a 503 after the timeout.
/// The replica is stopped with SIGSTOP, shorter than the cluster's node timeout, so no failover starts.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ReplicaWaitsClusterTests : IAsyncLifetime
{
    private const string Topic = "orders";

    /// <summary>A cache key in the partition's slot (the same hash tag), so both stores write to the same primary.</summary>
    private const string CacheKey = "{orders:0}";

    private static readonly PartitionKeys Keys = PartitionKeys.For(Topic, 0);

    private RedisCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await RedisCluster.StartAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Publish_AnsweredOk_IsOnTheSlotsReplica_AndWasNotAnsweredBeforeTheReplicaHadIt()
    {
        var store = new RedisQueueStore(_cluster.Connection, Waits(TimeSpan.FromSeconds(4)));
        // Observed on a connection of its own: the store's connection to the primary is held by its WAIT.
        await using var observer = await ConnectionMultiplexer.ConnectAsync(_cluster.Connection.Configuration);
        var (primary, replica) = await SlotMembersAsync(observer);
        var id = QueueRing.NewId(0);

        Task<PublishResult> publish;
        await using (await _cluster.FreezeAsync(((IPEndPoint)replica.EndPoint).Port))
        {
            publish = PublishAsync(store, id);
            // The store's connection sits in a WAIT on the primary, which cannot return while the replica is stopped.
            await Eventually.UntilAsync(async () => (await primary.ClientListAsync()).Any(c => c.LastCommand == "wait"),
                TimeSpan.FromSeconds(1), "a client of the primary waits for its replicas");
            Assert.True(await HasMessageAsync(primary, id), "the primary has the message");
            Assert.False(publish.IsCompleted, "the publish was answered while the slot's replica could not have it");
        }

        var published = await publish;
        Assert.Equal(PublishStatus.Queued, Assert.Single(published.Items).Status);
        Assert.True(await HasMessageAsync(replica, id), "the answered message is on the slot's replica");
    }

    [Fact]
    public async Task Writes_WithTheSlotsReplicaStopped_FailAsA503ThatMayHaveBeenApplied_AfterTheTimeout()
    {
        var timeout = TimeSpan.FromMilliseconds(300);
        var waits = Waits(timeout);
        var store = new RedisQueueStore(_cluster.Connection, waits);
        var cache = new RedisCacheMemory(_cluster.Connection, waits);
        var (_, replica) = await SlotMembersAsync(_cluster.Connection);
        // Both slots' writes answer while the replica runs (and load the scripts before the clock starts). A replica that
        // has just finished its first sync may take longer than the short timeout to acknowledge the first of them.
        await Eventually.UntilAsync(async () => await AnsweredAsync(() => PublishAsync(store, QueueRing.NewId(0))),
            TimeSpan.FromSeconds(10), "a publish is answered while the replica runs");
        await Eventually.UntilAsync(async () => await AnsweredAsync(() => cache.WriteAsync(CacheKey, 1, "node1", true, "\"a\"", 0, 0, NowMs())),
            TimeSpan.FromSeconds(10), "a cache write is answered while the replica runs");

        await using (await _cluster.FreezeAsync(((IPEndPoint)replica.EndPoint).Port))
        {
            var started = Stopwatch.GetTimestamp();
            var publish = await Assert.ThrowsAsync<ReplicaWaitException>(() => PublishAsync(store, QueueRing.NewId(0)));
            Assert.InRange(Stopwatch.GetElapsedTime(started), timeout, timeout + TimeSpan.FromSeconds(1));
            Assert.Equal(0, publish.Acknowledged);
            var problem = ProblemExceptionHandler.ToProblem(publish);
            Assert.NotNull(problem);
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
            Assert.Equal(true, problem.ProblemDetails.Extensions["may_have_been_applied"]);

            await Assert.ThrowsAsync<ReplicaWaitException>(() => cache.WriteAsync(CacheKey, 1, "node1", true, "\"b\"", 0, 0, NowMs()));
        }
    }

    private static async Task<bool> AnsweredAsync<T>(Func<Task<T>> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (ReplicaWaitException)
        {
            return false;
        }
    }

    private ReplicaWaits Waits(TimeSpan timeout) =>
        ReplicaWaits.For(_cluster.Connection, Options.Create(new RedisOptions { WaitReplicas = 1, WaitTimeout = timeout }));

    /// <summary>
    /// The primary serving the partition's slot and its one replica (as the primary's <c>INFO replication</c> names it),
    /// once that replica is online: a new cluster's replicas finish their first sync seconds after it forms (Redis
    /// waits <c>repl-diskless-sync-delay</c>, 5 s, before the transfer), and until then no <c>WAIT</c> counts them.
    /// </summary>
    private static async Task<(IServer Primary, IServer Replica)> SlotMembersAsync(IConnectionMultiplexer connection)
    {
        var primary = connection.GetServer(connection.GetDatabase().IdentifyEndpoint(Keys.All[0])!);
        var replica = await Eventually.UntilAsync(async () =>
            ((await primary.InfoRawAsync("replication")) ?? "").Split('\n').SingleOrDefault(line => line.StartsWith("slave0:", StringComparison.Ordinal) && line.Contains("state=online", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the slot's replica is online");
        var port = int.Parse(replica.Split(',').Single(p => p.StartsWith("port=", StringComparison.Ordinal))["port=".Length..], CultureInfo.InvariantCulture);
        return (primary, connection.GetServer(new IPEndPoint(IPAddress.Loopback, port)));
    }

    /// <summary>Asked of that very server (the client sends a replica READONLY first): a MOVED answer is not followed to another.</summary>
    private static async Task<bool> HasMessageAsync(IServer server, string id) =>
        (bool)await server.ExecuteAsync("HEXISTS", [(string)Keys.All[4]!, id], CommandFlags.NoRedirect);

    private static Task<PublishResult> PublishAsync(RedisQueueStore store, string id) =>
        store.PublishAsync(Topic, 0, 1, [new OutgoingMessage(id, new MessageRecord(NowMs(), null, null, null, "{}"), 0)], 300_000);

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
