namespace DistSync.AppHost.Dashboard.Api;

/// <summary>Answer to POST /api/resources/{name}/{command}.</summary>
public sealed record CommandResult(string Name, string Command, string Status);
