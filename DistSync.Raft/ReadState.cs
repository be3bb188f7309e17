namespace DistSync.Raft;

/// <summary>
/// The answer to <see cref="RaftNode.ReadIndex"/>: once this node has applied up to <see cref="Index"/>, a
/// read of its state machine is linearizable (Raft thesis §6.4). When <see cref="Failed"/> is true the
/// read could not be served (no leader, leadership lost, too many reads) and the waiter should fail or retry.
/// </summary>
public readonly record struct ReadState(long RequestId, long Index, bool Failed);
