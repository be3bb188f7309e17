namespace DistSync.LoadTests.Chaos.History;

/// <summary>How an operation ended, as its client saw it.</summary>
public enum Outcome
{
    /// <summary>Answered with success: it took effect.</summary>
    Ok,

    /// <summary>Refused with an answer that says nothing happened (a 4xx, or a connection that was never made).</summary>
    Failed,

    /// <summary>
    /// No telling (a timeout, a reset after the request was sent, a 5xx such as 503 "may or may not be applied"): it may
    /// have taken effect at any time after its invocation, or never. Checkers take it as either, as Jepsen does.
    /// </summary>
    Unknown,
}

/// <summary>
/// One operation of a fault-harness history: which client (<see cref="Process"/>) sent what to which node, when it was
/// invoked and when it completed (microseconds since the run began; for an unknown outcome, when the client gave up:
/// the checkers take such an operation as still pending, since it may take effect later), and what came back. <see cref="Key"/> is the resource, the key or the topic's dedup id; <see cref="Value"/> the holder, the
/// value or the payload; <see cref="Id"/> a queue message's id; <see cref="Token"/> a lock grant's fencing token.
/// </summary>
public sealed record ChaosOp(
    string Process,
    string Node,
    string Kind,
    string Key,
    string? Value,
    long Invoked,
    long Completed,
    Outcome Outcome)
{
    public long? Token { get; init; }

    public string? Id { get; init; }

    /// <summary>A lock request's lease, in milliseconds; none for a hold that lasts as its session does.</summary>
    public long? TtlMs { get; init; }

    /// <summary>What the answer said when it was not a success (status and problem detail, or the exception).</summary>
    public string? Detail { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsUnknown => Outcome == Outcome.Unknown;

    public override string ToString()
    {
        var end = Completed == long.MaxValue ? "?" : Ms(Completed) + (IsUnknown ? "?" : "");
        var extra = (Token is { } t ? $" token {t}" : "") + (Id is { } id ? $" id {id}" : "") + (Detail is { } d ? $" ({d})" : "");
        return $"{Process}@{Node} {Kind} {Key}{(Value is null ? "" : "=" + Value)} {Outcome.ToString().ToLowerInvariant()} [{Ms(Invoked)}, {end}] ms{extra}";
    }

    private static string Ms(long micros) => (micros / 1000.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The operation kinds the workloads record.</summary>
public static class OpKinds
{
    public const string Acquire = "lock.acquire";
    public const string Release = "lock.release";
    public const string LockState = "lock.state";

    /// <summary>
    /// A hold the client declared lost (its <c>HandleLost</c> fired) before the app released it: from then on it is not
    /// counted on, and the cluster frees it some time later (when the session ends).
    /// </summary>
    public const string Lost = "lock.lost";
    public const string Publish = "queue.publish";
    public const string Consume = "queue.consume";
    public const string Ack = "queue.ack";

    /// <summary>Read at the end, when every fault has healed: a message found in the topic's dead letters.</summary>
    public const string DeadLetter = "queue.dead";
    public const string CacheRead = "cache.read";
    public const string CacheWrite = "cache.write";
}

/// <summary>A broken promise: which checker found it, what it is, and the smallest part of the history that shows it.</summary>
public sealed record Violation(string Checker, string Message, IReadOnlyList<ChaosOp> Ops)
{
    public override string ToString() =>
        $"{Checker}: {Message}{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", Ops);
}
