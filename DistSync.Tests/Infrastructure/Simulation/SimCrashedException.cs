namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// Code of a crashed incarnation reached the outside world (a store, a peer): it ends there. A simulated adapter throws
/// it once the node that holds it has crashed, so nothing a dead node still runs has an effect.
/// </summary>
internal sealed class SimCrashedException : Exception;
