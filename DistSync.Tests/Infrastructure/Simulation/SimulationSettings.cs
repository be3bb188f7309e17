namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>Knobs of one simulated Raft run (faults, load, compaction); every random choice is drawn from the run's seed.</summary>
internal sealed record SimulationSettings
{
    public int ChaosTicks { get; init; } = 500;

    /// <summary>After the network heals, a leader must commit a new proposal on every node within this many ticks.</summary>
    public int LivenessBoundTicks { get; init; } = 250;

    public int MaxDelayTicks { get; init; } = 4;

    public double DropRate { get; init; } = 0.05;

    public double DuplicateRate { get; init; } = 0.02;

    public double PartitionRate { get; init; } = 0.01;

    public double HealRate { get; init; } = 0.02;

    public double CrashRate { get; init; } = 0.004;

    public double RestartRate { get; init; } = 0.03;

    public double ProposeRate { get; init; } = 0.3;

    public double ReadRate { get; init; } = 0.05;

    public double TransferRate { get; init; } = 0.003;

    /// <summary>Chance per chaos tick that an operator asks the leader for a membership change (0: never, nothing drawn).</summary>
    public double MembershipRate { get; init; }

    /// <summary>Applied entries kept before the host compacts into a snapshot.</summary>
    public int CompactEvery { get; init; } = 25;
}
