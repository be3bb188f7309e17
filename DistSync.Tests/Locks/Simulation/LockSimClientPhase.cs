namespace DistSync.Tests.Locks.Simulation;

/// <summary>What a simulated client is doing: nothing, waiting for a proposal's outcome, or queued for a grant.</summary>
internal enum LockSimClientPhase
{
    Idle,
    Proposing,
    Waiting,
}
