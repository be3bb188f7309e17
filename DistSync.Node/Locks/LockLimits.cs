namespace DistSync.Node.Locks;

/// <summary>
/// The bounds of the lock table. They are part of the replicated state machine's contract (every node
/// must apply the same limits to the same log), so they are constants, not configuration.
/// </summary>
public static class LockLimits
{
    /// <summary>Longest resource name, in UTF-8 bytes.</summary>
    public const int MaxResourceBytes = 256;

    /// <summary>Longest client id, in UTF-8 bytes.</summary>
    public const int MaxClientIdBytes = 128;

    /// <summary>Lease used when a request names no <c>ttl_ms</c>.</summary>
    public const long DefaultTtlMs = 30_000;

    public const long MinTtlMs = 1;

    /// <summary>One hour: a longer lease would let a dead client block a resource for too long.</summary>
    public const long MaxTtlMs = 3_600_000;

    /// <summary><c>wait_ms</c> 0 (the default) means "answer busy instead of waiting".</summary>
    public const long DefaultWaitMs = 0;

    /// <summary>Five minutes: the longest an acquire may stay queued.</summary>
    public const long MaxWaitMs = 300_000;

    /// <summary>Holders plus waiters of one resource (a client holding and waiting to upgrade counts twice).</summary>
    public const int MaxClientsPerResource = 10_000;

    /// <summary>Resources with at least one holder.</summary>
    public const int MaxResources = 100_000;

    /// <summary>How long a request id is remembered: a retry within it gets the first answer (five minutes, as SQS deduplicates).</summary>
    public const long RequestIdWindowMs = 300_000;

    /// <summary>Request ids remembered at once; past it the oldest is forgotten first.</summary>
    public const int MaxRememberedRequests = 100_000;

    /// <summary>Longest request id, in UTF-8 bytes.</summary>
    public const int MaxRequestIdBytes = 128;

    /// <summary>Session TTL used when a create names no <c>ttl_ms</c>, as for a lease.</summary>
    public const long DefaultSessionTtlMs = 30_000;

    /// <summary>One second: a shorter session would need keep-alives faster than a leader change completes.</summary>
    public const long MinSessionTtlMs = 1_000;

    /// <summary>One hour, as a lease: a longer session would let a dead client block its resources for too long.</summary>
    public const long MaxSessionTtlMs = 3_600_000;

    /// <summary>Sessions open in the cluster at once.</summary>
    public const int MaxSessions = 100_000;

    /// <summary>Sessions one owner (token) has open at once: a tenth of the cluster's, as the queue bounds topics per token.</summary>
    public const int MaxSessionsPerOwner = 10_000;

    /// <summary>Holds plus waits of one session: ending it releases them all in one command, so that command stays bounded.</summary>
    public const int MaxRequestsPerSession = 10_000;

    /// <summary>Longest owner (the name of the token that opened a session), in UTF-8 bytes.</summary>
    public const int MaxOwnerBytes = 256;

    /// <summary>Largest command time: 9999-12-31T23:59:59.999Z, so that now + ttl never overflows.</summary>
    public const long MaxNowMs = 253_402_300_799_999;
}
