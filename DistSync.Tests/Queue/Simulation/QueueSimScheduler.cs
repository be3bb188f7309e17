using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>
/// Runs the real async queue code deterministically: every continuation is posted to this single-threaded context and
/// run in order, and time is a <see cref="FakeTimeProvider"/> advanced a millisecond at a time once nothing is left to
/// run. With no thread pool and no real clock involved, a seed replays exactly.
/// </summary>
internal sealed class QueueSimScheduler : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _ready = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public long Steps { get; private set; }

    /// <summary>The first exception a started operation did not expect: a bug in the code under test or in the simulation.</summary>
    public Exception? Unexpected { get; private set; }

    private int _thread = -1;

    public override void Post(SendOrPostCallback d, object? state)
    {
        // A continuation released on another thread (ConfigureAwait(false), Task.WhenAny over a TaskCompletionSource, a
        // real timer) would run at a moment the seed does not decide: say so rather than replay something else.
        if (_thread != -1 && Environment.CurrentManagedThreadId != _thread)
        {
            lock (_ready)
            {
                Unexpected ??= new InvalidOperationException("a continuation was posted from another thread: " + Environment.StackTrace);
            }

            return;
        }

        _ready.Enqueue((d, state));
    }

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("The simulation never blocks.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Starts an operation on the simulation's thread; it may end by a crash of its node, any other exception is kept.</summary>
    public void Start(Func<Task> operation) => Post(_ => _ = GuardAsync(operation), null);

    /// <summary>
    /// Runs until <paramref name="until"/> holds or <paramref name="duration"/> of simulated time has passed, calling
    /// <paramref name="afterStep"/> after every continuation and <paramref name="everyMillisecond"/> as time moves.
    /// </summary>
    public void Run(TimeSpan duration, Action afterStep, Action everyMillisecond, Func<bool>? until = null)
    {
        var previous = Current;
        _thread = Environment.CurrentManagedThreadId;
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
                    ThrowIfUnexpected();
                    afterStep();
                }

                ThrowIfUnexpected();

                // Timers fire with no context current, so each continuation they release is posted here rather than run
                // inline inside Advance: every step goes through the queue, and the checks run after each one.
                SetSynchronizationContext(null);
                Time.Advance(TimeSpan.FromMilliseconds(1));
                SetSynchronizationContext(this);
                everyMillisecond();
            }
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    private void ThrowIfUnexpected()
    {
        if (Unexpected is { } e)
        {
            throw new InvalidOperationException($"an operation failed unexpectedly: {e}", e);
        }
    }

    private async Task GuardAsync(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (SimCrashedException)
        {
            // Its node crashed: the operation ends with the incarnation that ran it.
        }
        catch (OperationCanceledException)
        {
            // Stopped with its incarnation.
        }
        catch (Exception e)
        {
            Unexpected ??= e;
        }
    }
}

/// <summary>Code of a crashed incarnation reached the outside world (the store, a peer): it ends there.</summary>
internal sealed class SimCrashedException : Exception;
