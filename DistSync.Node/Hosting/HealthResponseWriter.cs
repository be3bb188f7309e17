using System.Text.Json;
using DistSync.Node.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Node.Hosting;

/// <summary>
/// /health as JSON: the original system's fields (<c>node_id</c>, <c>role</c>, <c>term</c>,
/// <c>leader_id</c>) plus every check's outcome. 200 when healthy, 503 otherwise.
/// </summary>
public static class HealthResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var status = context.RequestServices.GetRequiredService<INodeStatus>();
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthResponse(
            Status: report.Status.ToString().ToLowerInvariant(),
            NodeId: status.NodeId,
            Role: status.Role,
            Term: status.Term,
            LeaderId: status.LeaderId,
            Checks: report.Entries.ToDictionary(
                e => e.Key,
                e => new HealthCheckEntry(e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description, e.Value.Duration.TotalMilliseconds)));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, NodeJson.Options, context.RequestAborted);
    }
}

public sealed record HealthResponse(string Status, string NodeId, string Role, long Term, string? LeaderId, IReadOnlyDictionary<string, HealthCheckEntry> Checks);

public sealed record HealthCheckEntry(string Status, string? Description, double DurationMs);
