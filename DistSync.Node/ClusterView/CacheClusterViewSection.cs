using DistSync.Node.Cache;

namespace DistSync.Node.ClusterView;

/// <summary>The cache in the cluster view: this node's lines by state, its most recently used lines, and its directory size.</summary>
public sealed class CacheClusterViewSection(CacheNode cache, CacheHome home) : IClusterViewSection
{
    private const int MaxLines = 20;

    public string Name => "cache";

    public Task<object?> DescribeAsync(CancellationToken cancellationToken)
    {
        var (lines, bytes) = cache.Size;
        var counts = cache.CountByState();
        return Task.FromResult<object?>(new
        {
            lines,
            bytes,
            by_state = counts.ToDictionary(c => c.Key.ToString(), c => c.Value),
            home_entries = home.EntryCount,
            recent = cache.Recent(MaxLines).Select(r => new { key = r.Key, state = r.Line.State.ToString(), version = r.Line.Version, lease_left_ms = r.Line.LeaseLeftMs, dirty = r.Line.Dirty }),
        });
    }
}
