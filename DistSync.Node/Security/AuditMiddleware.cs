using System.Diagnostics;

namespace DistSync.Node.Security;

/// <summary>
/// Records an <see cref="AuditEvent"/> once a request has been answered: every call to a public route that can
/// change state (whatever its outcome, including a 413 or a 429), reads when configured, and every refusal by auth
/// on any route (an <c>/internal</c> one refused for its cluster key or id too).
/// </summary>
public static class AuditMiddleware
{
    public static IApplicationBuilder UseAudit(this IApplicationBuilder app)
    {
        var audit = app.ApplicationServices.GetRequiredService<AuditLog>();
        return app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                Record(audit, context);
            }
        });
    }

    private static void Record(AuditLog audit, HttpContext context)
    {
        var status = context.Response.StatusCode;
        var endpoint = context.GetEndpoint();
        var publicRoute = endpoint?.Metadata.GetMetadata<RoleRequirementMetadata>() is not null;
        var write = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
        var refused = status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden;
        if (!refused && !(publicRoute && (write || audit.Reads)))
        {
            return;
        }

        var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.ToString();
        audit.Record(new AuditEvent(
            DateTimeOffset.UtcNow,
            Principals.NameOf(context.User),
            Principals.RoleOf(context.User)?.ToString().ToLowerInvariant(),
            audit.NodeId,
            context.Request.Method,
            route,
            context.Items.TryGetValue(TargetFilter.ItemKey, out var target) ? target as string : null,
            status,
            AuditEvent.OutcomeOf(status),
            Activity.Current?.TraceId.ToString()),
            traced: Activity.Current is { Recorded: true });
    }
}
