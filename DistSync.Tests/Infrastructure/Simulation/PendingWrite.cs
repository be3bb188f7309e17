using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// One queued write of a simulated node: what to persist, and the messages that wait for it. Without
/// <paramref name="Sync"/> (only the commit index moved) nothing is written by itself, as in the host's writer.
/// </summary>
internal sealed record PendingWrite(HardState? HardState, IReadOnlyList<Entry> Entries, IReadOnlyList<Message> After, bool Sync);
