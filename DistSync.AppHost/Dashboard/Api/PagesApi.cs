using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.AppHost.Dashboard.Api;

/// <summary>
/// Serves the pages and their assets from resources embedded in the assembly (Dashboard/wwwroot),
/// so the dashboard needs no files on disk and no CDN.
/// </summary>
internal static class PagesApi
{
    private static readonly ConcurrentDictionary<string, byte[]?> _cache = new(StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapPagesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Shell("resources")).WithName("ResourcesPage");
        app.MapGet("/console", () => Shell("console")).WithName("ConsolePage");
        app.MapGet("/logs", () => Shell("logs")).WithName("LogsPage");
        app.MapGet("/traces", () => Shell("traces")).WithName("TracesPage");
        app.MapGet("/traces/{traceId}", (string traceId) => Shell("trace")).WithName("TracePage");
        app.MapGet("/metrics", () => Shell("metrics")).WithName("MetricsPage");
        app.MapGet("/cluster", () => Shell("cluster")).WithName("ClusterPage");
        app.MapGet("/assets/{file}", Asset).WithName("Asset");
        return app;
    }

    private static readonly ConcurrentDictionary<string, byte[]> _shells = new(StringComparer.Ordinal);

    /// <summary>The shared page shell with the script that builds one page (<c>/assets/{script}.js</c>).</summary>
    public static FileContentHttpResult Shell(string script) =>
        TypedResults.File(_shells.GetOrAdd(script, static name =>
            System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(
                Load("page.html") ?? throw new InvalidOperationException("The page shell is not embedded.")).Replace("{{page}}", name, StringComparison.Ordinal))),
            "text/html; charset=utf-8");

    public static FileContentHttpResult Page(string file) =>
        TypedResults.File(Load(file) ?? throw new InvalidOperationException($"The page {file} is not embedded."), "text/html; charset=utf-8");

    private static Results<FileContentHttpResult, NotFound> Asset(string file)
    {
        var bytes = Load(file);
        if (bytes is null)
        {
            return TypedResults.NotFound();
        }

        var type = Path.GetExtension(file) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        return TypedResults.File(bytes, type);
    }

    private static byte[]? Load(string file) => _cache.GetOrAdd(file, static name =>
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains("..", StringComparison.Ordinal))
        {
            return null;
        }

        using var stream = typeof(PagesApi).Assembly.GetManifestResourceStream("Dashboard/" + name);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });
}
