using DistSync.Node.Locks;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// A grant as the client knows it: its token, and until when (real time) the client trusts it. A lease's end comes from
/// the answer it was told; a session's hold (<see cref="SessionId"/>) is trusted as long as the client trusts its session.
/// </summary>
internal sealed record LockSimBelief(string Resource, LockMode Mode, long Token, double TrustedUntilMs, long? SessionId = null);
