namespace DistSync.Tests.Queue.Simulation;

internal sealed record QueueSimOptions
{
    public int Nodes { get; init; } = 3;

    public int ClientsPerNode { get; init; } = 3;

    public int Topics { get; init; } = 2;

    public int Partitions { get; init; } = 4;

    /// <summary>Message keys per topic: a key's messages share a partition.</summary>
    public int Keys { get; init; } = 12;

    public int MaxDeliveries { get; init; } = 3;

    /// <summary>Simulated time with clients and faults; then the faults heal and the queue is drained.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A client's pause between two operations, at most (ms).</summary>
    public int MaxThinkMs { get; init; } = 20;

    /// <summary>Each way between two nodes (ms).</summary>
    public int MaxNetworkDelayMs { get; init; } = 3;

    /// <summary>Each way to the store and back (ms): answers overtake one another, as on a real connection.</summary>
    public int MaxStoreDelayMs { get; init; } = 2;

    /// <summary>Each way: a command not sent (connection error), or its answer lost after it ran (a timeout).</summary>
    public double StoreErrorRate { get; init; } = 0.002;

    /// <summary>How long a command whose answer was lost takes to fail (the Redis client's timeout, much shorter here).</summary>
    public int StoreTimeoutMs { get; init; } = 100;

    /// <summary>A forward that gets no answer fails after this long (the forwarder's HTTP timeout, 5 s; scaled down with the ring's grace).</summary>
    public int ForwardTimeoutMs { get; init; } = 1_000;

    /// <summary>How often per simulated millisecond a fault starts: a crash, an isolation, a stale ring view or a ring flap.</summary>
    public double FaultRatePerMs { get; init; } = 0.002;

    /// <summary>The membership monitor drops a node silent this long (production: 2 s).</summary>
    public int RingGraceMs { get; init; } = 400;

    /// <summary>A node back this long is taken into the ring again.</summary>
    public int RingBackMs { get; init; } = 200;

    /// <summary>Each node applies a committed epoch after its own delay, up to this (ms).</summary>
    public int MaxApplyDelayMs { get; init; } = 30;

    /// <summary>
    /// Takes the fence out of the in-memory store: a deposed owner's writes land. What <c>queue-fence-removed.patch</c> does to
    /// the Lua scripts, which the simulation does not run; here it shows the owners' views invariant catching it.
    /// </summary>
    public bool PlantFenceRemovedInModel { get; init; }
}
