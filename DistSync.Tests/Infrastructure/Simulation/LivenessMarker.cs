namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// The liveness check after healing: a marker command is proposed to the leader every few ticks until one is
/// in flight, re-proposed when it can no longer commit, and the whole wait is bounded.
/// </summary>
internal sealed class LivenessMarker(long startTick, int boundTicks)
{
    private const int ProposeEveryTicks = 5;

    /// <summary>A marker not committed by then is given up and proposed again.</summary>
    private const int RetryAfterTicks = 40;

    private readonly long _deadline = startTick + boundTicks;
    private long _markerTick;

    /// <summary>The log index of the marker in flight, or 0 while none is.</summary>
    public long MarkerIndex { get; private set; }

    public bool Expired(long tick) => tick >= _deadline;

    /// <summary>Proposes a marker when none is in flight; <paramref name="propose"/> returns its index, or 0 without a leader.</summary>
    public void MaybePropose(long tick, Func<long> propose)
    {
        if (MarkerIndex == 0 && tick % ProposeEveryTicks == 0)
        {
            MarkerIndex = propose();
            _markerTick = tick;
        }
    }

    /// <summary>Drops a marker proposed to a leader that then lost office: it may never commit.</summary>
    public void AfterStep(long tick, Func<long, bool> stillPossible)
    {
        if (MarkerIndex > 0 && (!stillPossible(MarkerIndex) || tick - _markerTick > RetryAfterTicks))
        {
            MarkerIndex = 0;
        }
    }
}
