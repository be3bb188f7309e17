using DistSync.Node.Consensus;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>One queued write of a simulated node: what to persist, and the messages that wait for it.</summary>
internal sealed record PendingWrite(HardState? HardState, IReadOnlyList<Entry> Entries, IReadOnlyList<Message> After);
