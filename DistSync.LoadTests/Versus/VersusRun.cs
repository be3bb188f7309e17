using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>One prepared level: the operation worker i repeats, and what undoes the level's set-up.</summary>
public sealed class VersusRun(Func<int, CancellationToken, Task<OpResult>> operation, Func<Task>? cleanup = null) : IAsyncDisposable
{
    public Func<int, CancellationToken, Task<OpResult>> Operation { get; } = operation;

    public async ValueTask DisposeAsync()
    {
        if (cleanup is not null)
        {
            await cleanup();
        }
    }
}
