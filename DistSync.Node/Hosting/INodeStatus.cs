namespace DistSync.Node.Hosting;

/// <summary>What /health reports about this node's place in the cluster.</summary>
public interface INodeStatus
{
    string NodeId { get; }

    /// <summary><c>leader</c>, <c>follower</c> or <c>candidate</c>.</summary>
    string Role { get; }

    long Term { get; }

    string? LeaderId { get; }
}
