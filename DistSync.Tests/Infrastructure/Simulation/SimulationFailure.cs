namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>A broken invariant in a simulated run; the message names the seed to replay.</summary>
public sealed class SimulationFailure(string message) : Exception(message);
