
namespace DistSync.Node.Consensus;

/// <summary>
/// A deterministic state machine fed from the Raft log. Every node applies the same commands in the
/// same order and so holds the same state. Called only from the Raft host's loop thread.
/// </summary>
public interface IReplicatedStateMachine
{
    /// <summary>Tags the commands of this machine in the log; unique per machine and stable forever.</summary>
    byte Tag { get; }

    /// <summary>Applies one committed command. <paramref name="index"/> is its log index (a fencing token,
    /// an ordering key); <paramref name="clockMs"/> is the replicated leader time at this entry (it never goes back;
    /// see RaftHost.Clock), the only clock a machine may use. The result goes back to the caller of
    /// <see cref="RaftHost.ProposeAsync"/> on the node that proposed it. Must not throw for any input that can reach the log.</summary>
    object? Apply(long index, long clockMs, ReadOnlySpan<byte> command);

    /// <summary>
    /// The whole state, for a Raft snapshot, in a new array the machine never touches again: the host writes it out
    /// after the loop has moved on. Called on the loop, so it holds up ticks for as long as it takes.
    /// </summary>
    byte[] Snapshot();

    /// <summary>Replaces the state with a snapshot's (an empty array means the initial state).</summary>
    void Restore(ReadOnlySpan<byte> snapshot);
}
