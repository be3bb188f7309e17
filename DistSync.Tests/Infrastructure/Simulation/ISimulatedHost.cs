using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>A simulated machine hosting one Raft core that can crash (keeping its disk) and start again.</summary>
internal interface ISimulatedHost
{
    string Id { get; }

    /// <summary>The running core, or null while the host is down.</summary>
    RaftNode? Raft { get; }

    bool IsUp { get; }

    void Crash();

    /// <summary>Starts the core from what the host persisted; <paramref name="random"/> drives its election timer.</summary>
    void Start(Random random);
}
