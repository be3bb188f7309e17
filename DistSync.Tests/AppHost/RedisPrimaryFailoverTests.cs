using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using DistSync.Hosting;
using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;
using StackExchange.Redis;

namespace DistSync.Tests.AppHost;

/// <summary>
/// A Redis primary killed under a publish/consume/ack workload on <c>--redis cluster</c> (three real nodes, six real
/// redis-server processes, every write answered once its slot's replica has it): its replica takes over, and no
/// answered publish is lost and no answered ack undone. The replica's link is cut just before the kill, so the
/// primary's last writes are certainly missing on the replica (with <c>WaitReplicas=0</c> they were answered and this
/// test fails). The member stays down until the failover is done (restarts off), then is started again and rejoins as
/// the new primary's replica.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RedisPrimaryFailoverTests
{
    private const string Topic = "failover";
    private const int Partitions = 8;

    /// <summary>Short, so a message leased by a consume that failed comes back within the drain.</summary>
    private const int VisibilitySec = 3;

    [Fact]
    public async Task KillPrimary_UnderPublishConsumeAck_NoAnsweredPublishLost_NoAnsweredAckUndone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { Nodes = 3, Redis = "cluster" });
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await cluster.App.GetConnectionStringAsync("redis", ct)) + ",allowAdmin=true");
        var topic = new QueueClient(cluster.CreateHttpClient("node1"));
        Assert.Equal("queued", (await topic.PublishAsync(Topic, "0", partitions: Partitions)).Status);

        var history = new History();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workers = new List<Task>
        {
            PublishLoopAsync(cluster, "node1", history, stop.Token),
            PublishLoopAsync(cluster, "node2", history, stop.Token),
            ConsumeLoopAsync(cluster, "node2", history, stop.Token),
            ConsumeLoopAsync(cluster, "node3", history, stop.Token),
        };

        await Eventually.UntilAsync(() => history.AckedCount >= 50, TimeSpan.FromSeconds(60), "50 messages acked before the fault");

        // The primary of partition 0's slot, and the partitions it serves.
        var primaryPort = ((IPEndPoint)redis.GetDatabase().IdentifyEndpoint(PartitionKeys.For(Topic, 0).All[0])!).Port;
        var onIt = Enumerable.Range(0, Partitions)
            .Where(p => ((IPEndPoint)redis.GetDatabase().IdentifyEndpoint(PartitionKeys.For(Topic, p).All[0])!).Port == primaryPort).ToHashSet();
        var member = Enumerable.Range(1, 6).Select(i => $"redis-{i}").Single(name => cluster.App.GetEndpoint(name, "tcp").Port == primaryPort);
        var primary = redis.GetServer(new IPEndPoint(IPAddress.Loopback, primaryPort));
        var replicaPort = ReplicaPort(await primary.InfoRawAsync("replication") ?? "");
        var pid = int.Parse(Field(await primary.InfoRawAsync("server") ?? "", "process_id")!, CultureInfo.InvariantCulture);
        var ackedBefore = history.AckedCount;

        // The replica's link is cut first, so the primary's last writes certainly never reach it: answered, they would be
        // lost in the failover. (The replica gets a wrong password for its primary, and its reconnects fail their AUTH.)
        var replica = redis.GetServer(new IPEndPoint(IPAddress.Loopback, replicaPort));
        await replica.ExecuteAsync("CONFIG", "SET", "masterauth", "not-the-password");
        await replica.ExecuteAsync("CLIENT", "KILL", "TYPE", "master");
        await Eventually.UntilAsync(async () => Field(await primary.InfoRawAsync("replication") ?? "", "connected_slaves") == "0",
            TimeSpan.FromSeconds(10), $"{member} lost its replica's link");
        var refusedBefore = history.RefusedCount;
        await Eventually.UntilAsync(() => history.RefusedCount >= refusedBefore + 5, TimeSpan.FromSeconds(30), "publishes to the cut-off primary fail");

        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(); // SIGKILL: what it had applied and not sent its replica is gone with it
        }

        await Eventually.UntilAsync(async () => Field(await replica.InfoRawAsync("replication") ?? "", "role") == "master",
            TimeSpan.FromSeconds(30), $"{member}'s replica took over its slots");
        await replica.ExecuteAsync("CONFIG", "SET", "masterauth", Password(redis.Configuration));

        // The dead member back, as the new primary's replica: until then the promoted one has no replica, so its writes fail.
        await cluster.StartAsync(member);
        await Eventually.UntilAsync(async () => await ReplicaInSyncAsync(redis, primaryPort), TimeSpan.FromSeconds(60), $"{member} rejoined as a replica in sync");

        // The workload goes on across the failed-over partitions too, then stops.
        var publishedAfter = history.PublishedCount;
        try
        {
            await Eventually.UntilAsync(() => history.PublishedOn(onIt, after: publishedAfter) >= 10 && history.AckedCount >= ackedBefore + 50,
                TimeSpan.FromSeconds(90), "publishes to the failed-over partitions answered again, and 50 more acks");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} {history.PublishedOn(onIt, after: publishedAfter)} published there, {history.AckedCount - ackedBefore} acked; last 503: {history.LastRefusal}", ex);
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        // Drain: every answered publish not yet acked must still be there. A lease made by a consume that failed (a 503
        // while the slot had no replica) hides its message until the visibility timeout, so drain until none is in flight.
        var consumer = new QueueClient(cluster.CreateHttpClient("node1"));
        while (true)
        {
            var consumed = await consumer.ConsumeAsync(Topic, waitSec: 1, visibilitySec: 60);
            if (consumed.Status == "empty")
            {
                var totals = (await consumer.GetAsync($"/queue/stats?topic={Topic}")).Body;
                if (totals.GetProperty("ready").GetInt64() + totals.GetProperty("in_flight").GetInt64() + totals.GetProperty("delayed").GetInt64() == 0)
                {
                    break;
                }

                continue;
            }

            Assert.True(consumed.Status == "ok", consumed.Text);
            history.Delivered(consumed.Id, DateTime.UtcNow);
            Assert.Equal("acked", (await consumer.AckAsync(Topic, consumed.Id, Receipt(consumed))).Status);
        }

        // A message whose every delivery failed (503s while its slot had no replica) is a dead letter: kept, not lost.
        var dead = (await consumer.GetAsync($"/queue/dead_letters?topic={Topic}&limit=1000")).Body.GetProperty("messages")
            .EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
        var lost = history.AnsweredPublishes.Where(id => !history.WasDelivered(id) && !dead.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} answered publish(es) never delivered: {string.Join(", ", lost.Take(5))}");
        var undone = history.DeliveredAfterAck().ToList();
        Assert.True(undone.Count == 0, $"{undone.Count} message(s) delivered after their ack was answered: {string.Join(", ", undone.Take(5))}");
        Assert.True(history.AnsweredPublishes.Count > 100, $"the workload answered {history.AnsweredPublishes.Count} publishes");
    }

    private static async Task PublishLoopAsync(ClusterFixture cluster, string node, History history, CancellationToken stop)
    {
        var client = new QueueClient(cluster.CreateHttpClient(node));
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var published = await client.PublishAsync(Topic, $"{n++}", key: Guid.NewGuid().ToString("n"));
                if (published.Status == "queued")
                {
                    history.Published(published.Id);
                }
                else if (published.Code == HttpStatusCode.ServiceUnavailable)
                {
                    history.Refused(published.Text);
                }
            }
            catch (HttpRequestException)
            {
                // Unanswered: it may or may not be stored, and is owed nothing.
            }
        }
    }

    private static async Task ConsumeLoopAsync(ClusterFixture cluster, string node, History history, CancellationToken stop)
    {
        var client = new QueueClient(cluster.CreateHttpClient(node));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var asked = DateTime.UtcNow;
                var consumed = await client.ConsumeAsync(Topic, waitSec: 1, visibilitySec: VisibilitySec);
                if (consumed.Status != "ok")
                {
                    continue;
                }

                history.Delivered(consumed.Id, asked);
                if ((await client.AckAsync(Topic, consumed.Id, Receipt(consumed))).Status == "acked")
                {
                    history.Acked(consumed.Id, DateTime.UtcNow);
                }
            }
            catch (HttpRequestException)
            {
                // Unanswered consume or ack: the message comes back after its visibility timeout (drained at the end).
            }
        }
    }

    private static string? Receipt(QueueClient.Reply consumed) =>
        consumed.Body.TryGetProperty("receipt", out var receipt) ? receipt.GetString() : null;

    private static async Task<bool> ReplicaInSyncAsync(ConnectionMultiplexer redis, int port)
    {
        try
        {
            var info = await redis.GetServer(new IPEndPoint(IPAddress.Loopback, port)).InfoRawAsync("replication") ?? "";
            return Field(info, "role") == "slave" && Field(info, "master_link_status") == "up";
        }
        catch (RedisException)
        {
            return false; // not reconnected yet
        }
    }

    private static string Password(string configuration) =>
        configuration.Split(',').Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..];

    private static int ReplicaPort(string replication) =>
        int.Parse(Field(replication, "slave0")!.Split(',').Single(p => p.StartsWith("port=", StringComparison.Ordinal))["port=".Length..], CultureInfo.InvariantCulture);

    private static string? Field(string info, string name) =>
        info.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>What the workload was answered: publishes queued, deliveries (with when their consume was asked), acks.</summary>
    private sealed class History
    {
        private readonly ConcurrentQueue<string> _published = new();
        private readonly ConcurrentDictionary<string, ConcurrentBag<DateTime>> _delivered = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, DateTime> _acked = new(StringComparer.Ordinal);
        private int _refused;

        public int PublishedCount => _published.Count;

        public int AckedCount => _acked.Count;

        public int RefusedCount => Volatile.Read(ref _refused);

        public IReadOnlyCollection<string> AnsweredPublishes => [.. _published];

        public void Published(string id) => _published.Enqueue(id);

        /// <summary>The last 503's body, for a wait that times out.</summary>
        public string LastRefusal { get; private set; } = "";

        /// <summary>A publish answered 503: not stored as far as the caller knows, and owed nothing.</summary>
        public void Refused(string body)
        {
            Interlocked.Increment(ref _refused);
            LastRefusal = body;
        }

        public void Delivered(string id, DateTime asked) => _delivered.GetOrAdd(id, _ => []).Add(asked);

        public void Acked(string id, DateTime answered) => _acked.TryAdd(id, answered);

        public bool WasDelivered(string id) => _delivered.ContainsKey(id);

        /// <summary>Publishes answered after the first <paramref name="after"/> that went to one of <paramref name="partitions"/>.</summary>
        public int PublishedOn(IReadOnlySet<int> partitions, int after) =>
            _published.Skip(after).Count(id => QueueRing.TryPartitionOfId(id, Partitions, out var p) && partitions.Contains(p));

        /// <summary>Ids delivered by a consume asked after their ack had been answered.</summary>
        public IEnumerable<string> DeliveredAfterAck() =>
            _acked.Where(a => _delivered.TryGetValue(a.Key, out var times) && times.Any(t => t > a.Value)).Select(a => a.Key);
    }
}
