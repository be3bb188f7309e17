namespace DistSync.LoadTests.Cluster;

/// <summary>The AppHost came up but its orchestrator failed to start the resources.</summary>
public sealed class AppHostStartException(string message) : InvalidOperationException(message);
