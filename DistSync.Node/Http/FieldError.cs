namespace DistSync.Node.Http;

/// <summary>A request field and the rule it broke, for a 400 that names both.</summary>
public sealed record FieldError(string Field, string Rule);
