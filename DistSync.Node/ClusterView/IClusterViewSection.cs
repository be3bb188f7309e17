namespace DistSync.Node.ClusterView;

/// <summary>
/// One feature's part of <c>/cluster</c>: the lock table today, the queue's partition owners and the cache's lines as
/// those features land. Each describes this node's applied state as plain JSON-able data.
/// </summary>
public interface IClusterViewSection
{
    /// <summary>The key under <c>sections</c> in <c>/cluster/state</c> (<c>locks</c>, <c>queue</c>, <c>cache</c>).</summary>
    string Name { get; }

    Task<object?> DescribeAsync(CancellationToken cancellationToken);
}
