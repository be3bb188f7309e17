using DistSync.Node.Locks;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>A grant as the client knows it: token and lease end come from the outcome or event it was told.</summary>
internal sealed record LockSimBelief(string Resource, LockMode Mode, long Token, long ExpiresAtMs);
