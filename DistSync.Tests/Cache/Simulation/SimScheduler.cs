using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.Cache.Simulation;

/// <summary>
/// Runs the real async cache code deterministically: every continuation is posted to this single-threaded context and
/// run in order, and time is a <see cref="FakeTimeProvider"/> advanced a millisecond at a time once nothing is left to
/// run. With no thread pool and no real clock involved, a seed replays exactly.
/// </summary>
internal sealed class SimScheduler : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _ready = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public long Steps { get; private set; }

    public override void Post(SendOrPostCallback d, object? state) => _ready.Enqueue((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("The simulation never blocks.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Starts an async operation on the simulation's thread.</summary>
    public void Start(Func<Task> operation) => Post(_ => _ = operation(), null);

    /// <summary>Runs until <paramref name="duration"/> of simulated time has passed, calling <paramref name="afterStep"/> after every continuation.</summary>
    public void Run(TimeSpan duration, Action afterStep, Action<TimeSpan> everyMillisecond)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            var end = Time.GetUtcNow() + duration;
            while (Time.GetUtcNow() < end)
            {
                // Bounded: a livelock (continuations that keep posting without time passing) fails instead of hanging.
                for (var n = 0; _ready.Count > 0; n++)
                {
                    if (n > 1_000_000)
                    {
                        throw new InvalidOperationException("More than a million continuations in one simulated millisecond.");
                    }

                    var (callback, state) = _ready.Dequeue();
                    callback(state);
                    Steps++;
                    afterStep();
                }

                Time.Advance(TimeSpan.FromMilliseconds(1));
                everyMillisecond(duration - (end - Time.GetUtcNow()));
            }
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }
}
