namespace DistSync.AppHost.Dashboard.Api;

/// <summary>Answer to GET /api/console/{name}: new lines and the sequence to ask after next time.</summary>
public sealed record ConsolePage(string Resource, IReadOnlyList<ConsoleLine> Lines, long LastSequence);
