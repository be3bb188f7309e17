namespace DistSync.Node.Security;

/// <summary>
/// One audited request: who (the token's name, never its secret), with which role, on which node, what route and
/// target, how it ended, and the trace that shows the rest in the dashboard.
/// </summary>
public sealed record AuditEvent(
    DateTimeOffset Time,
    string? Principal,
    string? Role,
    string Node,
    string Method,
    string Route,
    string? Target,
    int Status,
    string Outcome,
    string? TraceId)
{
    /// <summary>ok (2xx), refused (401/403: auth said no), rejected (another 4xx: invalid, conflict, too large, too many) or failed (5xx).</summary>
    public static string OutcomeOf(int status) => status switch
    {
        < 400 => "ok",
        401 or 403 => "refused",
        < 500 => "rejected",
        _ => "failed",
    };
}
