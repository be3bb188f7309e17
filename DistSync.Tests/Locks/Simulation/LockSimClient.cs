using DistSync.Node.Locks;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// One simulated lock client. It holds at most one resource and believes it holds it only until the lease it was
/// told (<see cref="Belief"/>), as a real client must: that belief is what the mutual-exclusion check tests.
/// </summary>
internal sealed class LockSimClient(string id)
{
    public string Id { get; } = id;

    public LockSimClientPhase Phase { get; set; }

    /// <summary>The command being proposed (kept to retry it) and where it went.</summary>
    public LockCommand? Command { get; set; }

    public string? Node { get; set; }

    public int NodeIncarnation { get; set; }

    public long Index { get; set; }

    public long Term { get; set; }

    public long SinceTick { get; set; }

    public int Attempts { get; set; }

    /// <summary>The grant the client was told of, or null; it believes it holds while now is before the lease end.</summary>
    public LockSimBelief? Belief { get; set; }

    public void StartProposal(LockCommand command, long tick)
    {
        Phase = LockSimClientPhase.Proposing;
        Command = command;
        Node = null;
        Index = 0;
        Attempts = 0;
        SinceTick = tick;
    }

    public void BecomeIdle()
    {
        Phase = LockSimClientPhase.Idle;
        Command = null;
        Node = null;
        Index = 0;
    }
}
