namespace DistSync.LoadTests.Cluster;

/// <summary>How one benchmark operation ended.</summary>
public enum OpKind
{
    /// <summary>2xx: counts toward throughput and latency.</summary>
    Ok,

    /// <summary>An expected refusal (409: busy, timeout, …): counted apart, not a failure.</summary>
    Refused,

    /// <summary>Anything else: another status, a transport error, a client-side timeout.</summary>
    Failed,
}
