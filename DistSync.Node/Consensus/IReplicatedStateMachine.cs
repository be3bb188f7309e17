namespace DistSync.Node.Consensus;

/// <summary>
/// A deterministic state machine fed from the Raft log, as the host sees it: every node applies the same commands
/// in the same order and so holds the same state. Called only from the Raft host's loop thread. A machine implements
/// the typed <see cref="IReplicatedStateMachine{TCommand, TResult}"/>; this untyped face is the host's only.
/// </summary>
public interface IReplicatedStateMachine
{
    /// <summary>Tags the commands of this machine in the log; unique per machine and stable forever.</summary>
    byte Tag { get; }

    /// <summary>Applies one committed command; the typed interface gives it its result type.</summary>
    object? Apply(long index, long clockMs, ReadOnlySpan<byte> command);

    /// <summary>
    /// The whole state, for a Raft snapshot, in a new array the machine never touches again: the host writes it out
    /// after the loop has moved on. Called on the loop, so it holds up ticks for as long as it takes.
    /// </summary>
    byte[] Snapshot();

    /// <summary>Replaces the state with a snapshot's (an empty array means the initial state).</summary>
    void Restore(ReadOnlySpan<byte> snapshot);
}

/// <summary>
/// A replicated state machine whose commands are <typeparamref name="TCommand"/> and whose answer to each is a
/// <typeparamref name="TResult"/>: <see cref="RaftHost.ProposeAsync{TCommand, TResult}"/> takes the one and returns the
/// other, so no caller casts.
/// </summary>
public interface IReplicatedStateMachine<in TCommand, out TResult> : IReplicatedStateMachine
{
    /// <summary>The command as it is stored in the log (the machine's own codec, versioned by the machine).</summary>
    byte[] Encode(TCommand command);

    /// <summary>Applies one committed command. <paramref name="index"/> is its log index (a fencing token,
    /// an ordering key); <paramref name="clockMs"/> is the replicated leader time at this entry (it never goes back;
    /// see RaftHost.Clock), the only clock a machine may use. The result goes back to the caller of
    /// <see cref="RaftHost.ProposeAsync{TCommand, TResult}"/> on the node that proposed it. Must not throw for any
    /// input that can reach the log, a command of an older version or bytes that decode to nothing included.</summary>
    new TResult Apply(long index, long clockMs, ReadOnlySpan<byte> command);

    object? IReplicatedStateMachine.Apply(long index, long clockMs, ReadOnlySpan<byte> command) => Apply(index, clockMs, command);
}
