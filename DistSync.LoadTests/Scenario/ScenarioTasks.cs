using System.Text.Json;
using DistSync.Client;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// What each <see cref="ScenarioTask"/> sends, through the user's own <see cref="DistSyncClient"/>. Every request is
/// recorded under its own name ("POST /locks/acquire"), as Locust names requests, so a task's steps are measured apart;
/// the names are the HTTP requests', as they were when users sent raw requests, so reports of either kind compare.
/// </summary>
public static class ScenarioTasks
{
    public const string StateRequest = "GET /locks/state";
    public const string AcquireRequest = "POST /locks/acquire";
    public const string ReleaseRequest = "POST /locks/release";
    public const string PublishRequest = "POST /queue/publish";
    public const string ConsumeRequest = "POST /queue/consume";
    public const string AckRequest = "POST /queue/ack";
    public const string CacheGetRequest = "GET /cache/get";
    public const string CacheSetRequest = "POST /cache/set";

    private static readonly Dictionary<string, ScenarioTask> ByName = new(StringComparer.Ordinal)
    {
        ["state"] = ScenarioTask.State,
        ["lock"] = ScenarioTask.Lock,
        ["queue"] = ScenarioTask.Queue,
        ["cache-get"] = ScenarioTask.CacheGet,
        ["cache-set"] = ScenarioTask.CacheSet,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static ScenarioTask? Named(string name) => ByName.TryGetValue(name, out var task) ? task : null;

    public static string NameOf(ScenarioTask task) => ByName.First(p => p.Value == task).Key;

    /// <summary>
    /// What a request pays for on a replicated cluster that it does not on one node; null for a request that pays
    /// nothing of the kind. A comparison of one node against three names it next to the figures.
    /// </summary>
    public static string? ReplicationCost(string request) => request switch
    {
        StateRequest => "a linearizable read: the leader confirms it still leads with a heartbeat round to a majority (ReadIndex) before answering; a follower also forwards the read to the leader",
        AcquireRequest or ReleaseRequest => "a Raft entry: appended on the leader and on a majority (one round trip and a follower's fsync) before it commits; the client sends it to the leader, so no follower forwards it while the client knows who leads",
        PublishRequest or AckRequest => "the client sends it to the partition's owner, so it takes no forwarding hop, except a user's first publish, sent before its client knows the topic's partitions (to any node, which forwards it; the client then reads the topic's stats); the message itself is stored once, in Redis",
        ConsumeRequest => "the client sends a consume to any node in turn, and the partitions' owners are spread over the nodes: a consume is forwarded to them, and may ask more than one before it finds a message",
        CacheGetRequest => "the client asks the key's home, so a miss is granted there without a hop, as on one node; a hit is local either way",
        CacheSetRequest => "the home must invalidate every other node's copy and wait for each acknowledgement before the write is granted; with every user's client reading at the home, other nodes hold few copies (those read before a client knew the ring)",
        _ => null,
    };

    /// <summary>A consume's shape: one message, waiting up to 1 s for it, hidden for 30 s.</summary>
    private static readonly ConsumeOptions ConsumeOne = new() { Wait = TimeSpan.FromSeconds(1), VisibilityTimeout = TimeSpan.FromSeconds(30), MaxBatch = 1 };

    /// <summary>
    /// Runs one task for <paramref name="user"/>; each request it sends is recorded as it ends. Everything goes through
    /// the user's own client but the lock table's state, which the client has no call for: that one is a raw request.
    /// </summary>
    public static async Task RunAsync(ScenarioTask task, VirtualUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        switch (task)
        {
            case ScenarioTask.State:
                await user.GetAsync(StateRequest, "/locks/state", cancellationToken);
                break;
            case ScenarioTask.Lock:
            {
                var resource = user.Run.Resource(user.Random);
                var wait = TimeSpan.FromMilliseconds(user.Run.LockWaitMs);
                LockHold? hold = null;
                await user.CallAsync(AcquireRequest, async ct =>
                {
                    hold = await user.App.Locks.TryAcquireAsync(resource, LockMode.Exclusive, wait, ct);
                    return hold is null ? ClientOutcome.NotGranted(wait) : OpResult.Ok;
                }, cancellationToken);
                if (hold is not null)
                {
                    // Disposing the hold releases it, by its fencing token.
                    await user.CallAsync(ReleaseRequest, _ => hold.DisposeAsync().AsTask(), cancellationToken);
                }

                break;
            }

            case ScenarioTask.Queue:
            {
                var topic = user.Run.Topic;
                var stamp = Stamp(user);
                await user.CallAsync(PublishRequest, ct => user.App.Queue.PublishAsync(topic, stamp, cancellationToken: ct), cancellationToken);
                IReadOnlyList<QueueMessage<JsonElement>> messages = [];
                await user.CallAsync(ConsumeRequest, async ct => messages = await user.App.Queue.ConsumeBatchAsync<JsonElement>(topic, 1, ConsumeOne, ct), cancellationToken);
                // An empty answer has nothing to ack. The client sends acks as POST /queue/ack_batch (one message here, as
                // the user acks one at a time); the request keeps its name, so reports compare with runs of raw requests.
                if (messages.Count > 0)
                {
                    await user.CallAsync(AckRequest, ct => messages[0].AckAsync(ct), cancellationToken);
                }

                break;
            }

            case ScenarioTask.CacheGet:
            {
                var key = user.Run.Key(user.Random);
                await user.CallAsync(CacheGetRequest, ct => user.App.Cache.GetAsync<JsonElement>(key, ct), cancellationToken);
                break;
            }

            case ScenarioTask.CacheSet:
            {
                var key = user.Run.Key(user.Random);
                var stamp = Stamp(user);
                await user.CallAsync(CacheSetRequest, ct => user.App.Cache.SetAsync(key, stamp, cancellationToken: ct), cancellationToken);
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown scenario task.");
        }
    }

    /// <summary>A payload or value that says which user sent it, and its how-manieth: <c>{"user": …, "n": …}</c>.</summary>
    private static UserStamp Stamp(VirtualUser user) => new(user.ClientId, user.NextSequence());

    private sealed record UserStamp(string User, long N);
}
