using Microsoft.Extensions.Options;

namespace DistSync.Node.Cluster;

/// <summary>The status of a node that runs no consensus (yet): always a follower of nobody.</summary>
public sealed class StandaloneNodeStatus(IOptions<NodeOptions> options) : INodeStatus
{
    public string NodeId => options.Value.NodeId;

    public string Role => "follower";

    public long Term => 0;

    public string? LeaderId => null;
}
