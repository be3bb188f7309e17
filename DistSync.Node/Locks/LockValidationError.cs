namespace DistSync.Node.Locks;

/// <summary>A refused input: the API field (snake_case, as in the request body) and the rule it broke.</summary>
public sealed record LockValidationError(string Field, string Rule);
