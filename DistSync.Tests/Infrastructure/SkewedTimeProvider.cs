namespace DistSync.Tests.Infrastructure;

/// <summary>
/// The system's clocks with the wall clock moved by <see cref="Offset"/>, settable while a node runs: what a node whose
/// wall clock is wrong (or steps) sees. Monotonic time and timers stay true, as they would after an NTP step.
/// </summary>
public sealed class SkewedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
