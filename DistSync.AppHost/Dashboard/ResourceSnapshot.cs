namespace DistSync.AppHost.Dashboard;

/// <summary>One resource as the orchestrator sees it right now.</summary>
/// <param name="Type">"redis" or "node".</param>
/// <param name="State">Starting, Running, Healthy, Unhealthy, Exited, Stopped or FailedToStart.</param>
/// <param name="Endpoints">URLs the resource listens on; the first http one is used to reach a node.</param>
/// <param name="Environment">Environment given to the process, secrets already masked by the orchestrator.</param>
/// <param name="Raft">Raft view polled from the node's GET /raft/status; null for non-nodes or before the first answer.</param>
public sealed record ResourceSnapshot(
    string Name,
    string Type,
    string State,
    int? Pid,
    DateTimeOffset? StartedAt,
    IReadOnlyList<string> Endpoints,
    string? Health,
    IReadOnlyDictionary<string, string> Environment,
    int Restarts,
    int? ExitCode,
    NodeRaftInfo? Raft);
