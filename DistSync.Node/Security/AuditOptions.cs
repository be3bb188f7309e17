namespace DistSync.Node.Security;

/// <summary>The <c>DistSync:Audit</c> section.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "DistSync:Audit";

    /// <summary>Also append every event, one JSON object per line, to this file (relative to the data folder); off when empty.</summary>
    public string? File { get; set; }

    /// <summary>Audit reads too (state, get, stats); off by default, as they change nothing.</summary>
    public bool Reads { get; set; }

    /// <summary>
    /// Send every event to the logs (the dashboard) as well as to <see cref="File"/>; by default, with a file, only
    /// refusals (401, 403) and requests whose trace is kept are logged. Without a file every event is logged.
    /// </summary>
    public bool LogAll { get; set; }
}
