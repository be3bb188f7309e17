namespace DistSync.AppHost.Dashboard;

/// <summary>A node's answer to GET /raft/status, as far as the dashboard shows it.</summary>
/// <param name="Role">leader, follower or candidate.</param>
public sealed record NodeRaftInfo(string Role, long Term, string? LeaderId, long CommitIndex, long LastApplied);
