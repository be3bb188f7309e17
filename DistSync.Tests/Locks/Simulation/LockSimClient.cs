using DistSync.Node.Locks;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// One simulated lock client. It holds at most one resource and believes it holds it only as long as it was told, counted
/// the way a real client must (<see cref="Trust"/>): that belief is what the mutual-exclusion check tests. A session client
/// holds through one session, which it keeps alive beside its other requests, as the typed client does.
/// </summary>
internal sealed class LockSimClient(string id, double driftRate, bool usesSession)
{
    /// <summary>The token a session client's sessions belong to.</summary>
    public const string Owner = "app";

    public string Id { get; } = id;

    /// <summary>How fast this client's monotonic clock runs against real time (the assumption: within 1 %).</summary>
    public double DriftRate { get; } = driftRate;

    public bool UsesSession { get; } = usesSession;

    public LockSimClientPhase Phase { get; set; }

    /// <summary>The command being proposed (kept to retry it) and where it went.</summary>
    public LockCommand? Command { get; set; }

    public LockSimProposal Proposal { get; } = new();

    public long SinceTick { get; set; }

    public int Attempts { get; set; }

    /// <summary>The grant the client was told of, or null.</summary>
    public LockSimBelief? Belief { get; set; }

    /// <summary>The client's open session, if it has one it trusts.</summary>
    public long? SessionId { get; set; }

    /// <summary>Until when (real time) the client trusts its session: its last acknowledged keep-alive's send plus the TTL, less the margin.</summary>
    public double SessionTrustedUntilMs { get; set; } = double.NegativeInfinity;

    public long SessionTtlMs { get; set; }

    /// <summary>The keep-alive in flight beside the client's other requests, if any.</summary>
    public LockSimProposal? KeepAlive { get; set; }

    /// <summary>When (real time) the client sends its next keep-alive: anywhere from a quarter of the TTL to just before its count runs out, as a slow or paused client would.</summary>
    public double NextKeepAliveMs { get; set; }

    public int Creates { get; set; }

    public void StartProposal(LockCommand command, long tick)
    {
        Phase = LockSimClientPhase.Proposing;
        Command = command;
        Proposal.Reset();
        Attempts = 0;
        SinceTick = tick;
    }

    public void BecomeIdle()
    {
        Phase = LockSimClientPhase.Idle;
        Command = null;
        Proposal.Reset();
    }

    /// <summary>
    /// Until when the client trusts what it was told at real time <paramref name="sentMs"/> (its request's send) lasts
    /// <paramref name="remainingMs"/>: counted on its own clock, less a margin for its drift and the leader's (1 % each).
    /// </summary>
    public double Trust(long sentMs, long remainingMs) => sentMs + ((remainingMs - Margin(remainingMs)) / DriftRate);

    /// <summary>The drift margin: 2 % of the time (1 % for the leader's clock, 1 % for the client's), and a millisecond for rounding.</summary>
    public static double Margin(long remainingMs) => (remainingMs * 0.02) + 1;

    /// <summary>The client stops trusting its session and every hold of it (it lost it, closed it, or its count ran out).</summary>
    public void ForgetSession()
    {
        SessionId = null;
        SessionTrustedUntilMs = double.NegativeInfinity;
        KeepAlive = null;
        if (Belief?.SessionId is not null)
        {
            Belief = null;
        }
    }
}
