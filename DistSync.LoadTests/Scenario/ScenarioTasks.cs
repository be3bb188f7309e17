using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// What each <see cref="ScenarioTask"/> sends. Every request is recorded under its own name ("POST /locks/acquire"),
/// as Locust names requests, so a task's steps are measured apart.
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
        AcquireRequest or ReleaseRequest => "a Raft entry: appended on the leader and on a majority (one round trip and a follower's fsync) before it commits; a follower forwards the command to the leader first",
        PublishRequest or AckRequest => "the partition's owner is another node for about 2 in 3 requests: one forwarding hop to it (the message itself is stored once, in Redis)",
        ConsumeRequest => "the partitions' owners are spread over the nodes: a consume is forwarded to them, and may ask more than one before it finds a message",
        CacheGetRequest => "a miss asks the key's home, another node for about 2 in 3 keys; a hit is local either way",
        CacheSetRequest => "the home must invalidate every other node's copy and wait for each acknowledgement before the write is granted",
        _ => null,
    };

    /// <summary>Runs one task for <paramref name="user"/>; each request it sends is recorded as it ends.</summary>
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
                var acquired = await user.PostAsync(AcquireRequest, "/locks/acquire", LockBodies.Acquire(resource, user.ClientId, "exclusive", user.Run.LockWaitMs, 10_000), cancellationToken);
                if (acquired.Kind == OpKind.Ok)
                {
                    await user.PostAsync(ReleaseRequest, "/locks/release", LockBodies.Release(resource, user.ClientId), cancellationToken);
                }

                break;
            }

            case ScenarioTask.Queue:
            {
                var topic = user.Run.Topic;
                await user.PostAsync(PublishRequest, "/queue/publish", Stamped("topic", topic, "payload", user), cancellationToken);
                var (consumed, message) = await user.PostReadAsync(ConsumeRequest, "/queue/consume", JsonBody.Object(w =>
                {
                    w.WriteString("topic", topic);
                    w.WriteNumber("wait_sec", 1);
                    w.WriteNumber("visibility_timeout_sec", 30);
                }), cancellationToken);
                // An empty answer ({"status":"empty"}) has neither; there is nothing to ack.
                if (consumed.Kind == OpKind.Ok && message.ValueKind == System.Text.Json.JsonValueKind.Object
                    && message.TryGetProperty("receipt", out var receipt) && message.TryGetProperty("id", out var id))
                {
                    await user.PostAsync(AckRequest, "/queue/ack", JsonBody.Object(w =>
                    {
                        w.WriteString("topic", topic);
                        w.WriteString("id", id.GetString());
                        w.WriteString("receipt", receipt.GetString());
                    }), cancellationToken);
                }

                break;
            }

            case ScenarioTask.CacheGet:
                await user.GetAsync(CacheGetRequest, $"/cache/get?key={Uri.EscapeDataString(user.Run.Key(user.Random))}", cancellationToken);
                break;
            case ScenarioTask.CacheSet:
            {
                await user.PostAsync(CacheSetRequest, "/cache/set", Stamped("key", user.Run.Key(user.Random), "value", user), cancellationToken);
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown scenario task.");
        }
    }

    /// <summary>{name: value, field: {user, n}}: a body whose payload says which user sent it, and its how-manieth.</summary>
    private static byte[] Stamped(string name, string value, string field, VirtualUser user)
    {
        var n = user.NextSequence();
        return JsonBody.Object(w =>
        {
            w.WriteString(name, value);
            w.WriteStartObject(field);
            w.WriteString("user", user.ClientId);
            w.WriteNumber("n", n);
            w.WriteEndObject();
        });
    }
}
