namespace DistSync.Tests.Locks.Simulation;

/// <summary>Where a client's command went: the node that took it (and its incarnation), its index and term, and when it was sent.</summary>
internal sealed class LockSimProposal
{
    public string? Node { get; set; }

    public int NodeIncarnation { get; set; }

    public long Index { get; set; }

    public long Term { get; set; }

    /// <summary>Real time of the send that a leader took: what the client counts from.</summary>
    public long SentMs { get; set; }

    public long SinceTick { get; set; }

    public void Reset()
    {
        Node = null;
        Index = 0;
    }
}
