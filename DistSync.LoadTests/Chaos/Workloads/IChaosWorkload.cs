using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// A workload of the fault harness: what its clients do while faults strike, what it reads once every fault has healed
/// (a queue's drain, its dead letters), and the checker that judges the history.
/// </summary>
public interface IChaosWorkload
{
    string Name { get; }

    /// <summary>One client's loop, until <paramref name="stop"/>.</summary>
    Task RunClientAsync(ChaosClient client, CancellationToken stop);

    /// <summary>
    /// After the faults, on a healed cluster: the reads the checker needs to see everything that was kept. Returns null
    /// when they are complete, else what is missing (a drain that did not empty the topic).
    /// </summary>
    Task<string?> FinishAsync(IReadOnlyList<ChaosClient> clients, CancellationToken cancellationToken);

    IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history);
}
