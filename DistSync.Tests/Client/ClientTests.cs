using System.Net;
using System.Net.Http.Json;
using ClientLockMode = DistSync.Client.LockMode;
using DistSync.Client;
using DistSync.Hosting;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;

namespace DistSync.Tests.Client;

/// <summary>
/// DistSync.Client against a real cluster (the AppHost, real node processes, a real Redis): locks with fencing tokens,
/// the queue with batched acks, the cache and its <see cref="IDistributedCache"/> face.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClientTests(ClientTests.Cluster cluster) : IClassFixture<ClientTests.Cluster>, IAsyncLifetime
{
    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DistSyncClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _client = NewClient();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public void ConnectionString_GivesEndpointsTokenAndClientId()
    {
        var options = DistSyncClientOptions.FromConnectionString("Endpoints=http://127.0.0.1:8001, http://127.0.0.1:8002;Token=abc;ClientId=worker-1");

        Assert.Equal(["http://127.0.0.1:8001/", "http://127.0.0.1:8002/"], options.Endpoints.Select(e => e.ToString()));
        Assert.Equal(("abc", "worker-1"), (options.Token, options.ClientId));
        Assert.Throws<FormatException>(() => DistSyncClientOptions.FromConnectionString("Token=abc"));
        Assert.Throws<FormatException>(() => DistSyncClientOptions.FromConnectionString("Endpoints=ftp://x;Token=abc"));
        Assert.Throws<FormatException>(() => DistSyncClientOptions.FromConnectionString("Endpoints=http://x:1;Colour=blue"));
    }

    [Fact]
    public async Task Queue_PublishConsumeAck_DeliversThePayload_AndAnAckedMessageNeverComesBack()
    {
        var topic = $"client-{Guid.NewGuid():N}";
        var published = await _client.Queue.PublishAsync(topic, new Order(17, "ada"), key: "customer-1", cancellationToken: Ct);

        var options = new ConsumeOptions { VisibilityTimeout = TimeSpan.FromSeconds(1), Wait = TimeSpan.FromSeconds(5) };
        var delivered = await _client.Queue.ConsumeBatchAsync<Order>(topic, 10, options, Ct);
        var message = Assert.Single(delivered);
        await message.AckAsync(Ct);

        Assert.Equal((published.Id, new Order(17, "ada"), 1, "customer-1"), (message.Id, message.Payload, message.DeliveryCount, message.Key));
        // Past the visibility it would have come back, had the ack not landed.
        var again = await _client.Queue.ConsumeBatchAsync<Order>(topic, 10, options with { Wait = TimeSpan.FromSeconds(2) }, Ct);
        Assert.Empty(again);
    }

    [Fact]
    public async Task Queue_ManyAcksAtOnce_AreAllApplied()
    {
        var topic = $"client-{Guid.NewGuid():N}";
        var batch = Enumerable.Range(0, 60).Select(i => new OutgoingMessage<Order>(new Order(i, "x"))).ToList();
        await _client.Queue.PublishBatchAsync(topic, batch, Ct);

        var received = new List<QueueMessage<Order>>();
        var options = new ConsumeOptions { VisibilityTimeout = TimeSpan.FromSeconds(30), Wait = TimeSpan.FromSeconds(1) };
        await Eventually.UntilAsync(async () =>
        {
            received.AddRange(await _client.Queue.ConsumeBatchAsync<Order>(topic, 100, options, Ct));
            return received.Count == 60;
        }, TimeSpan.FromSeconds(30), "all 60 messages consumed");
        await Task.WhenAll(received.Select(m => m.AckAsync(Ct)));

        Assert.Equal(Enumerable.Range(0, 60), received.Select(m => m.Payload.Number).Order());
        var stats = await cluster.CreateHttpClient("node1").GetFromJsonAsync<System.Text.Json.JsonElement>($"/queue/stats?topic={topic}", Ct);
        Assert.Equal((0, 0), (stats.GetProperty("ready").GetInt32(), stats.GetProperty("in_flight").GetInt32()));
    }

    [Fact]
    public async Task Queue_Nack_BringsItBack_WithTheNextDeliveryCount()
    {
        var topic = $"client-{Guid.NewGuid():N}";
        await _client.Queue.PublishAsync(topic, new Order(1, "nack"), cancellationToken: Ct);
        var options = new ConsumeOptions { VisibilityTimeout = TimeSpan.FromSeconds(30), Wait = TimeSpan.FromSeconds(5) };

        var first = Assert.Single(await _client.Queue.ConsumeBatchAsync<Order>(topic, 1, options, Ct));
        await first.NackAsync(cancellationToken: Ct);
        var second = Assert.Single(await _client.Queue.ConsumeBatchAsync<Order>(topic, 1, options, Ct));
        await second.AckAsync(Ct);

        Assert.Equal((first.Id, 2), (second.Id, second.DeliveryCount));
        await Assert.ThrowsAsync<DistSyncQueueRefusedException>(() => first.AckAsync(Ct)); // a stale delivery's receipt
    }

    [Fact]
    public async Task Cache_SetGetDelete_AndTheDistributedCacheFace()
    {
        var key = $"client-{Guid.NewGuid():N}";
        await _client.Cache.SetAsync(key, new Order(3, "grace"), cancellationToken: Ct);
        var read = await _client.Cache.GetAsync<Order>(key, Ct);
        await _client.Cache.DeleteAsync(key, Ct);
        var gone = await _client.Cache.GetAsync<Order>(key, Ct);

        Assert.Equal(new Order(3, "grace"), read);
        Assert.Null(gone);

        IDistributedCache cache = new DistSyncDistributedCache(_client);
        await cache.SetAsync(key, [1, 2, 255], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) }, Ct);
        Assert.Equal([1, 2, 255], await cache.GetAsync(key, Ct));
        Assert.Throws<NotSupportedException>(() => cache.Set(key, [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }));
        await cache.RemoveAsync(key, Ct);
        Assert.Null(await cache.GetAsync(key, Ct));
    }

    [Fact]
    public async Task Queue_TopicSettings_ReachTheTopic_AndStatsAndDeadLettersShowWhatIsLeft()
    {
        var topic = $"client-{Guid.NewGuid():N}";
        _client.Queue.UseTopicSettings(topic, new TopicSettings { MaxDeliveries = 1, Partitions = 2 });
        await _client.Queue.PublishAsync(topic, new Order(1, "kept"), cancellationToken: Ct);
        await _client.Queue.PublishAsync(topic, new Order(2, "dropped"), cancellationToken: Ct);
        var options = new ConsumeOptions { VisibilityTimeout = TimeSpan.FromSeconds(1), Wait = TimeSpan.FromSeconds(2) };

        var taken = new List<QueueMessage<Order>>();
        await Eventually.UntilAsync(async () =>
        {
            taken.AddRange(await _client.Queue.ConsumeBatchAsync<Order>(topic, 10, options, Ct));
            return taken.Count >= 2;
        }, TimeSpan.FromSeconds(20), "both messages delivered");
        var inFlight = await _client.Queue.StatsAsync(topic, Ct);
        await taken.Single(m => m.Payload.Number == 1).AckAsync(Ct);
        // One delivery allowed: the unacked one is dead-lettered when its visibility ends.
        var drained = await Eventually.UntilAsync(async () => await _client.Queue.StatsAsync(topic, Ct) is { IsDrained: true, Dead: 1 } s ? s : null,
            TimeSpan.FromSeconds(20), "the unacked message dead-lettered");
        var dead = await _client.Queue.DeadLettersAsync<Order>(topic, cancellationToken: Ct);

        Assert.Equal(2, inFlight.InFlight);
        Assert.Equal((0, 0, 0), (drained.Ready, drained.InFlight, drained.Delayed));
        var letter = Assert.Single(dead.Messages);
        Assert.Equal((1, new Order(2, "dropped"), 1), (dead.Count, letter.Payload, letter.DeliveryCount));
        Assert.Equal([0, 1], drained.Partitions.Select(p => p.Partition));
        Assert.All(drained.Partitions, p => Assert.Contains(p.Owner, cluster.NodeNames));
        Assert.Equal(1, drained.Partitions.Sum(p => p.Dead));
    }

    [Fact]
    public async Task Cache_AClientWithACacheNode_WritesThere_AndSeesAnotherNodesWrite()
    {
        var node2 = cluster.App.GetEndpoint("node2", DistSyncResource.NodeEndpointName);
        using var http2 = cluster.CreateHttpClient("node2");
        // A key whose home is another node: a write sent to the home would leave node2 without the line.
        string key;
        do
        {
            key = $"client-{Guid.NewGuid():N}";
        }
        while ((await http2.GetFromJsonAsync<System.Text.Json.JsonElement>($"/cache/lines?key={key}", Ct)).GetProperty("home").GetString() == "node2");

        await using var beside = new DistSyncClient(new DistSyncClientOptions
        {
            Endpoints = [node2],
            Token = cluster.Tokens["writer"],
            CacheNode = node2,
        });
        await beside.Cache.SetAsync(key, 1, cancellationToken: Ct);
        var lines = await http2.GetFromJsonAsync<System.Text.Json.JsonElement>($"/cache/lines?key={key}", Ct);
        var first = await beside.Cache.GetAsync<int>(key, Ct);
        await _client.Cache.SetAsync(key, 2, cancellationToken: Ct);
        var second = await beside.Cache.GetAsync<int>(key, Ct);

        var node2Line = lines.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("node").GetString() == "node2");
        Assert.Equal("M", node2Line.GetProperty("state").GetString());
        Assert.Equal((1, 2), (first, second));
    }

    [Fact]
    public async Task Cache_AValueSetThroughTheClient_IsReadByEveryNode()
    {
        var key = $"client-{Guid.NewGuid():N}";
        await _client.Cache.SetAsync(key, 42, cancellationToken: Ct);

        foreach (var node in cluster.NodeNames)
        {
            var body = await cluster.CreateHttpClient(node).GetFromJsonAsync<System.Text.Json.JsonElement>($"/cache/get?key={key}", Ct);
            Assert.Equal(42, body.GetProperty("value").GetInt32());
        }
    }

    [Fact]
    public async Task Lock_ExclusiveHold_HasAFencingToken_AndASecondClientCannotHaveIt()
    {
        var resource = $"client-{Guid.NewGuid():N}";
        await using var other = NewClient();

        LockHold? busy;
        long token;
        await using (var hold = await _client.Locks.AcquireAsync(resource, ClientLockMode.Exclusive, TimeSpan.FromSeconds(5), Ct))
        {
            token = hold.FencingToken;
            busy = await other.Locks.TryAcquireAsync(resource, cancellationToken: Ct);
            Assert.False(hold.HandleLost.IsCancellationRequested);
            Assert.True(hold.ExpiresAt > DateTimeOffset.UtcNow);
        }

        await using var after = await other.Locks.AcquireAsync(resource, wait: TimeSpan.FromSeconds(5), cancellationToken: Ct);
        Assert.Null(busy);
        Assert.True(token > 0);
        Assert.True(after.FencingToken > token, $"a later grant's token {after.FencingToken} is above {token}");
    }

    [Fact]
    public async Task Lock_Inspect_NamesTheHolderWithItsToken_AndTheWaitersInOrder()
    {
        var resource = $"client-{Guid.NewGuid():N}";
        await using var other = NewClient();
        var free = await _client.Locks.InspectAsync(resource, Ct);
        await using var hold = await _client.Locks.AcquireAsync(resource, cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = other.Locks.AcquireAsync(resource, ClientLockMode.Shared, TimeSpan.FromSeconds(30), cancel.Token);

        var held = await Eventually.UntilAsync(async () => await _client.Locks.InspectAsync(resource, Ct) is { Waiters.Count: 1 } info ? info : null,
            TimeSpan.FromSeconds(10), "the wait queued");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        Assert.Equal((false, null, null), (free.IsHeld, free.Mode, free.FencingToken));
        var holder = Assert.Single(held.Holders);
        Assert.Equal((hold.HolderId, ClientLockMode.Exclusive, hold.FencingToken), (holder.ClientId, holder.Mode, holder.FencingToken));
        Assert.NotNull(holder.SessionId);
        Assert.Equal((ClientLockMode.Exclusive, hold.FencingToken), (held.Mode, held.FencingToken));
        var waiter = Assert.Single(held.Waiters);
        Assert.Equal(ClientLockMode.Shared, waiter.Mode);
        Assert.StartsWith(other.ClientId + "/", waiter.ClientId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lock_TwoHoldsThroughOneClient_ExcludeEachOther()
    {
        var resource = $"client-{Guid.NewGuid():N}";
        await using var first = await _client.Locks.AcquireAsync(resource, cancellationToken: Ct);

        var second = await _client.Locks.TryAcquireAsync(resource, cancellationToken: Ct);

        Assert.Null(second);
    }

    [Fact]
    public async Task Lock_AWaitThatTimesOut_Throws_AndACancelledWaitLeavesNothingBehind()
    {
        var resource = $"client-{Guid.NewGuid():N}";
        await using var other = NewClient();
        await using var hold = await _client.Locks.AcquireAsync(resource, cancellationToken: Ct);

        await Assert.ThrowsAsync<DistSyncLockTimeoutException>(() => other.Locks.AcquireAsync(resource, wait: TimeSpan.FromMilliseconds(300), cancellationToken: Ct));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = other.Locks.AcquireAsync(resource, wait: TimeSpan.FromSeconds(30), cancellationToken: cancel.Token);
        using var http = cluster.CreateHttpClient("node1");
        await Eventually.UntilAsync(async () => (await Waiters(http, resource)) == 1, TimeSpan.FromSeconds(10), "the wait queued");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        await Eventually.UntilAsync(async () => (await Waiters(http, resource)) == 0, TimeSpan.FromSeconds(10), "the cancelled wait withdrawn");
    }

    [Fact]
    public async Task Lock_DisposingTheClient_ReleasesItsHolds()
    {
        var resource = $"client-{Guid.NewGuid():N}";
        var leaving = NewClient();
        await leaving.Locks.AcquireAsync(resource, cancellationToken: Ct);

        await leaving.DisposeAsync();

        await using var next = await _client.Locks.AcquireAsync(resource, wait: TimeSpan.FromSeconds(5), cancellationToken: Ct);
        Assert.True(next.FencingToken > 0);
    }

    [Fact]
    public async Task Lock_AClientCutOffPastItsSessionTtl_SeesHandleLost_BeforeAnotherClientIsGranted()
    {
        var resource = $"client-{Guid.NewGuid():N}";
        var node1 = cluster.App.GetEndpoint("node1", DistSyncResource.NodeEndpointName);
        await using var link = new LinkProxy("app", "node1", new IPEndPoint(IPAddress.Loopback, node1.Port));
        // Its only way to the cluster is the link; a margin far above any pause of this machine, so the order is not by luck.
        await using var cutOff = new DistSyncClient(new DistSyncClientOptions
        {
            Endpoints = [link.Address],
            Token = cluster.Tokens["writer"],
            DiscoverNodes = false,
            SessionTtl = TimeSpan.FromSeconds(5),
            SessionSafetyMargin = TimeSpan.FromSeconds(1),
            RetryFor = TimeSpan.FromSeconds(1),
        });
        var hold = await cutOff.Locks.AcquireAsync(resource, cancellationToken: Ct);
        var lost = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        hold.HandleLost.Register(() => lost.TrySetResult(DateTimeOffset.UtcNow));

        link.Cut();
        await using var next = await _client.Locks.AcquireAsync(resource, wait: TimeSpan.FromSeconds(30), cancellationToken: Ct);
        var grantSeen = DateTimeOffset.UtcNow;

        Assert.True(lost.Task.IsCompleted, "the other client was granted the lock while the cut-off client still counted it held");
        Assert.True(await lost.Task <= grantSeen);
        Assert.True(next.FencingToken > hold.FencingToken);
    }

    private DistSyncClient NewClient() => cluster.CreateDistSyncClient();

    private static async Task<int> Waiters(HttpClient http, string resource)
    {
        var state = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/locks/state", Ct);
        return state.GetProperty("locks").TryGetProperty(resource, out var r) ? r.GetProperty("waiters").GetArrayLength() : 0;
    }

    public sealed record Order(int Number, string Customer);
}
