namespace DistSync.AppHost.Dashboard;

/// <summary>
/// Keeps each port to its own job: OTLP/gRPC paths only on the gRPC port, /v1/* only on the OTLP/HTTP
/// port, and the UI and API only on the UI port. Everything else answers 404.
/// </summary>
internal sealed class DashboardPortRouting(RequestDelegate next, DashboardListeners listeners)
{
    private const string GrpcPrefix = "/opentelemetry.proto.collector.";

    public Task InvokeAsync(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        var path = context.Request.Path.Value ?? "";
        var isGrpc = path.StartsWith(GrpcPrefix, StringComparison.Ordinal);
        var isOtlpHttp = path.StartsWith("/v1/", StringComparison.Ordinal);
        var allowed = port == listeners.OtlpGrpcPort ? isGrpc
            : port == listeners.OtlpHttpPort ? isOtlpHttp
            : !isGrpc && !isOtlpHttp;
        if (!allowed)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    }
}
