using DistSync.Node.Consensus;
using DistSync.Node.Locks;

namespace DistSync.Node.ClusterView;

/// <summary>The lock table and wait-for graph in the cluster view: this node's applied state (the same on every node).</summary>
public sealed class LockClusterViewSection(LockStateMachine machine, RaftHost raft) : IClusterViewSection
{
    public string Name => "locks";

    public Task<object?> DescribeAsync(CancellationToken cancellationToken) =>
        Task.FromResult<object?>(LocksApi.State(machine, raft, "local"));
}
