using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// Runs real async code deterministically: every continuation is posted to this single-threaded context and run in
/// order, and time is a <see cref="FakeTimeProvider"/> advanced a millisecond at a time once nothing is left to run.
/// With no thread pool and no real clock involved, a seed replays exactly. The code under test must take its time from
/// <see cref="Time"/> (a <see cref="TimeProvider"/>) and must not block or leave this context (no <c>ConfigureAwait(false)</c>
/// on a path the simulation drives, no <c>Task.Run</c>).
/// </summary>
internal sealed class DeterministicScheduler : SynchronizationContext
{
    /// <summary>Where simulated time starts unless a simulation says otherwise.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Queue<(SendOrPostCallback Callback, object? State)> _ready = new();

    public DeterministicScheduler(DateTimeOffset? start = null) => Time = new FakeTimeProvider(start ?? DefaultStart);

    public FakeTimeProvider Time { get; }

    /// <summary>Continuations run so far: a simulation's step count, to name where a check failed.</summary>
    public long Steps { get; private set; }

    /// <summary>The first exception an operation started with <see cref="StartChecked"/> did not expect; it stops <see cref="Run"/>.</summary>
    public Exception? Unexpected { get; private set; }

    public override void Post(SendOrPostCallback d, object? state) => _ready.Enqueue((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("The simulation never blocks.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Starts an async operation on the simulation's thread; an exception ends it and goes no further.</summary>
    public void Start(Func<Task> operation) => Post(_ => _ = operation(), null);

    /// <summary>
    /// Starts an async operation on the simulation's thread; an exception <paramref name="expected"/> accepts ends it (a
    /// crash of its node, say: <see cref="SimCrashedException"/>), any other is kept in <see cref="Unexpected"/> and fails the run.
    /// </summary>
    public void StartChecked(Func<Task> operation, Func<Exception, bool> expected) => Post(_ => _ = GuardAsync(operation, expected), null);

    /// <summary>
    /// Runs until <paramref name="duration"/> of simulated time has passed or <paramref name="until"/> holds, calling
    /// <paramref name="afterStep"/> after every continuation and <paramref name="everyMillisecond"/> (given the time since
    /// the run began) each time the clock moves.
    /// </summary>
    public void Run(TimeSpan duration, Action afterStep, Action<TimeSpan> everyMillisecond, Func<bool>? until = null)
    {
        ArgumentNullException.ThrowIfNull(afterStep);
        ArgumentNullException.ThrowIfNull(everyMillisecond);
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            var end = Time.GetUtcNow() + duration;
            while (Time.GetUtcNow() < end && until?.Invoke() != true)
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
                    if (Unexpected is { } e)
                    {
                        throw new InvalidOperationException($"an operation failed unexpectedly: {e}", e);
                    }

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

    private async Task GuardAsync(Func<Task> operation, Func<Exception, bool> expected)
    {
        try
        {
            await operation();
        }
        catch (Exception e) when (!expected(e))
        {
            Unexpected ??= e;
        }
        catch (Exception)
        {
            // Expected: the operation ends here, as its node did.
        }
    }
}
