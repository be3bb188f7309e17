using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;
using DistSync.Tests.Queue.Simulation;

namespace DistSync.Tests.Queue;

/// <summary>
/// The simulation's model of the scripts (<see cref="QueueStoreModel"/>) against the scripts themselves on redis-server (and once on a Redis Cluster):
/// the same seeded sequence of calls (publishes with dedup and request ids, leases, acks, nacks, extends, releases,
/// requeues, redrives, and writes from an older and a newer epoch) goes to both, and every answer must be the same. Times
/// are chosen so no answer depends on when a call ran: a deadline is now (due at the next requeue) or ten minutes away.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueStoreModelTests(TestRedisServers servers) : IClassFixture<TestRedisServers>
{
    private const long Window = 600_000;
    private const long Far = 600_000;
    private const int MaxDeliveries = 2;

    [Theory]
    [InlineData("redis-server", 1)]
    [InlineData("redis-server", 2)]
    [InlineData("redis-server", 3)]
    [InlineData(TestRedisServers.Cluster, 1)]
    public async Task Model_AnswersEveryCallAsTheScriptsDo(string server, int seed)
    {
        await using var redis = await servers.StartAsync(server);
        var scripts = new RedisQueueStore(redis.Connection);
        var model = new QueueStoreModel();
        var random = new Random(seed);
        var ids = new List<string>();
        var receipts = new Dictionary<string, long>(StringComparer.Ordinal);
        long epoch = 1;
        for (var step = 0; step < 1500; step++)
        {
            var partition = random.Next(2);
            var callEpoch = random.Next(10) switch { 0 => epoch - 1, 1 => ++epoch, _ => epoch };
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string op;
            (string Scripts, string Model) answers;
            switch (random.Next(11))
            {
                case 0 or 1 or 2:
                {
                    var messages = Enumerable.Range(0, 1 + random.Next(3)).Select(_ =>
                    {
                        var id = random.Next(8) == 0 && ids.Count > 0 ? ids[random.Next(ids.Count)] : QueueRing.NewId(partition);
                        ids.Add(id);
                        var dedup = random.Next(4) == 0 ? $"d{random.Next(5)}" : null;
                        var request = random.Next(4) == 0 ? $"p:r{random.Next(5)}" : "";
                        return new OutgoingMessage(id, new MessageRecord(step, "k", dedup, null, $"{step}"), random.Next(5) == 0 ? Far : 0, request);
                    }).ToList();
                    op = $"publish {messages.Count}";
                    answers = (Show(await scripts.PublishAsync("t", partition, callEpoch, messages, Window)), Show(model.Publish("t", partition, callEpoch, messages, Window, now)));
                    break;
                }

                case 3 or 4:
                {
                    var (visibility, max, request, recallOnly) = (random.Next(2) == 0 ? 0 : Far, random.Next(4), random.Next(3) == 0 ? $"c:r{random.Next(4)}" : "", random.Next(6) == 0);
                    op = $"consume {max}{(recallOnly ? " recall" : "")}";
                    var fromScripts = await scripts.ConsumeAsync("t", partition, callEpoch, visibility, max, request, Window, recallOnly);
                    answers = (Show(fromScripts), Show(model.Consume("t", partition, callEpoch, visibility, max, request, Window, recallOnly, now)));
                    foreach (var m in fromScripts.Messages)
                    {
                        receipts[m.Id] = m.Receipt;
                    }

                    break;
                }

                case 5:
                {
                    var (id, receipt) = Pick(random, ids, receipts);
                    var request = random.Next(3) == 0 ? $"a:r{random.Next(4)}" : "";
                    op = $"ack {receipt}";
                    answers = (Show(await scripts.AckAsync("t", partition, callEpoch, id, receipt, request, Window)), Show(model.Ack("t", partition, callEpoch, id, receipt, request, Window, now)));
                    break;
                }

                case 6:
                {
                    var (id, receipt) = Pick(random, ids, receipts);
                    var delay = random.Next(3) == 0 ? Far : 0;
                    op = $"nack {receipt}";
                    answers = (Show(await scripts.NackAsync("t", partition, callEpoch, id, delay, MaxDeliveries, receipt)), Show(model.Nack("t", partition, callEpoch, id, delay, MaxDeliveries, receipt, now)));
                    break;
                }

                case 7:
                {
                    var (id, receipt) = Pick(random, ids, receipts);
                    var visibility = random.Next(2) == 0 ? 0 : Far;
                    op = $"extend {receipt}";
                    answers = (Show(await scripts.ExtendAsync("t", partition, callEpoch, id, visibility, receipt)), Show(model.Extend("t", partition, callEpoch, id, visibility, receipt, now)));
                    break;
                }

                case 8:
                {
                    var (id, receipt) = Pick(random, ids, receipts);
                    op = $"release {receipt}";
                    answers = (Show(await scripts.ReleaseAsync("t", partition, callEpoch, id, receipt ?? 1)), Show(model.Release("t", partition, callEpoch, id, receipt ?? 1, now)));
                    break;
                }

                case 9:
                    op = "requeue";
                    answers = (Show(await scripts.RequeueDueAsync("t", partition, callEpoch, MaxDeliveries, 1000, Window)), Show(model.RequeueDue("t", partition, callEpoch, MaxDeliveries, 1000, Window, now)));
                    break;

                default:
                    op = random.Next(3) == 0 ? "redrive" : "stats";
                    var limit = 1 + random.Next(3);
                    answers = op == "redrive"
                        ? (Show(await scripts.RedriveAsync("t", partition, callEpoch, limit)), Show(model.Redrive("t", partition, callEpoch, limit, now)))
                        : (Show(await scripts.StatsAsync("t", partition)) + Show(await scripts.DeadLettersAsync("t", partition, 10)),
                            Show(model.Stats("t", partition)) + Show(model.DeadLetters("t", partition, 10)));
                    break;
            }

            Assert.True(answers.Scripts == answers.Model, $"seed {seed}, step {step}: {op} in epoch {callEpoch} at partition {partition}:{Environment.NewLine}"
                + $"  scripts: {answers.Scripts}{Environment.NewLine}  model:   {answers.Model}");

            // The scripts read Redis's clock during the call, the model this test's just before it: the same clock, a little
            // apart. The next step starts in a later millisecond than this call ended in, so no two steps share a millisecond
            // on either side, and both order every message the same way (ready times never tie across steps on one side only).
            var ended = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            SpinWait.SpinUntil(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > ended);
        }
    }

    /// <summary>A known id with its last receipt, an older one, or none.</summary>
    private static (string Id, long? Receipt) Pick(Random random, List<string> ids, Dictionary<string, long> receipts)
    {
        var id = ids.Count == 0 ? QueueRing.NewId(0) : ids[random.Next(ids.Count)];
        long? receipt = receipts.TryGetValue(id, out var r) ? random.Next(4) switch { 0 => null, 1 => Math.Max(1, r - 1), _ => r } : null;
        return (id, receipt);
    }

    // How long until a deadline depends on when each ran: only whether there is one, and whether it is due, is compared.
    private static string Due(long dueInMs) => dueInMs < 0 ? "none" : dueInMs == 0 ? "due" : dueInMs > Far - 60_000 ? "far" : $"odd {dueInMs}";

    private static string Show(PublishResult r) =>
        $"publish stale={r.Stale} epoch={r.StoredEpoch} ready={r.Ready} next={Due(r.DueInMs)} before={r.ReadyBefore} version={r.Version} [{string.Join(", ", r.Items)}]";

    private static string Show(ConsumeResult r) =>
        $"consume stale={r.Stale} epoch={r.Epoch} ready={r.Ready} next={Due(r.DueInMs)} version={r.Version} [{string.Join(", ", r.Messages.Select(Show))}]";

    private static string Show(ChangeResult r) =>
        $"change {r.Status} epoch={r.StoredEpoch} ready={r.Ready} next={Due(r.DueInMs)} visible={r.VisibleForMs} version={r.Version}";

    private static string Show(RequeueResult r) => $"requeue {r with { DueInMs = 0 }} next={Due(r.DueInMs)}";

    private static string Show(RedriveResult r) => $"redrive {r with { DueInMs = 0 }} next={Due(r.DueInMs)}";

    private static string Show(PartitionStats s) => $"stats {s}";

    private static string Show((long Count, IReadOnlyList<StoredMessage> Messages) d) => $" dead {d.Count} [{string.Join(", ", d.Messages.Select(Show))}]";

    private static string Show(StoredMessage m) => $"{m.Id} {m.Record.Encode()} d{m.Deliveries} r{m.Receipt}";
}
