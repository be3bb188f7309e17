namespace DistSync.AppHost.Dashboard;

/// <summary>
/// What the dashboard needs from the orchestrator: the resources it runs, their console output and
/// the lifecycle commands. Implemented by the AppHost's orchestration; tests supply a fake.
/// </summary>
public interface IResourceCatalog
{
    /// <summary>A consistent snapshot of every resource, in display order.</summary>
    IReadOnlyList<ResourceSnapshot> GetResources();

    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    Task StopAsync(string name, CancellationToken ct);

    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    Task StartAsync(string name, CancellationToken ct);

    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    Task RestartAsync(string name, CancellationToken ct);

    /// <summary>
    /// Console lines of a resource with a sequence number above <paramref name="afterSequence"/>,
    /// oldest first, at most <paramref name="max"/>; an empty list when there is nothing newer.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    IReadOnlyList<ConsoleLine> GetConsole(string name, long afterSequence, int max);

    /// <summary>Raised after any resource's state, health or Raft info changed.</summary>
    event Action? Changed;
}
