namespace DistSync.LoadTests.Cluster;

/// <summary>A node as its <c>/raft/status</c> describes it: where it listens, its id, whom it follows.</summary>
public sealed record NodeView(Uri Url, string NodeId, string? LeaderId, long Term);
