namespace DistSync.AppHost.Dashboard.Auth;

/// <summary>
/// Without the login cookie, /api/* answers 401 and every page redirects to /login. The login page
/// and its assets stay open. OTLP ports are guarded by the API key instead and pass through.
/// </summary>
internal sealed class BrowserAuthMiddleware(RequestDelegate next, BrowserAuth auth, DashboardListeners listeners)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (context.Connection.LocalPort != listeners.UiPort
            || auth.IsLoggedIn(context.Request)
            || path.Equals("/login", StringComparison.Ordinal)
            || path.StartsWithSegments("/assets", StringComparison.Ordinal))
        {
            return next(context);
        }

        if (path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            return Results.Problem("Log in first: open the dashboard URL the AppHost printed.", statusCode: StatusCodes.Status401Unauthorized)
                .ExecuteAsync(context);
        }

        context.Response.Redirect("/login");
        return Task.CompletedTask;
    }
}
