using System.Globalization;
using DistSync.AppHost.Dashboard.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DistSync.AppHost.Dashboard.Api;

/// <summary>Read side of the telemetry store: traces, logs and metrics as JSON.</summary>
internal static class TelemetryApi
{
    private const int MaxLimit = 5_000;

    public static IEndpointRouteBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/telemetry");
        api.MapGet("/resources", (TelemetryStore store) => TypedResults.Ok(store.GetResourceNames()))
            .WithName("GetTelemetryResources").WithSummary("Resources that sent telemetry.");
        api.MapGet("/traces", GetTraces).WithName("GetTraces").WithSummary("Traces with their spans, newest first.");
        api.MapGet("/traces/{traceId}", GetTrace).WithName("GetTrace").WithSummary("One trace with all its spans.");
        api.MapGet("/logs", GetLogs).WithName("GetLogs").WithSummary("Structured logs, newest first.");
        api.MapGet("/metrics", GetMetrics).WithName("GetMetrics").WithSummary("Instruments with the latest point of each series.");
        api.MapGet("/metrics/series", GetSeries).WithName("GetMetricSeries").WithSummary("Every held point of one instrument, per series.");
        return app;
    }

    private static Ok<IReadOnlyList<TraceData>> GetTraces(
        TelemetryStore store,
        string? name = null,
        string? resource = null,
        [FromQuery(Name = "min_duration_ms")] double? minDurationMs = null,
        [FromQuery(Name = "errors_only")] bool errorsOnly = false,
        int limit = 200) =>
        TypedResults.Ok(store.GetTraces(new TraceQuery(Blank(name), Blank(resource), minDurationMs, errorsOnly, Math.Clamp(limit, 1, MaxLimit))));

    private static Results<Ok<TraceData>, NotFound<ProblemDetails>> GetTrace(string traceId, TelemetryStore store) =>
        store.GetTrace(traceId) is { } trace
            ? TypedResults.Ok(trace)
            : TypedResults.NotFound(ResourcesApi.Problem(StatusCodes.Status404NotFound, $"No trace {traceId} is held (unknown or already dropped)."));

    private static Ok<IReadOnlyList<LogEntry>> GetLogs(HttpRequest request, TelemetryStore store)
    {
        var query = request.Query;
        // attr=key=value, repeatable: every pair must match.
        var attributes = query["attr"]
            .Where(a => !string.IsNullOrEmpty(a) && a.Contains('=', StringComparison.Ordinal))
            .Select(a => a!.Split('=', 2))
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
        var logQuery = new LogQuery(
            Blank(query["level"]),
            Blank(query["q"]),
            Blank(query["resource"]),
            Blank(query["trace_id"]),
            attributes.Count == 0 ? null : attributes,
            long.TryParse(query["after"], NumberStyles.None, CultureInfo.InvariantCulture, out var after) ? after : 0,
            int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? Math.Clamp(limit, 1, MaxLimit) : 500);
        return TypedResults.Ok(store.GetLogs(logQuery));
    }

    private static Ok<IReadOnlyList<InstrumentSummary>> GetMetrics(TelemetryStore store, string? resource = null) =>
        TypedResults.Ok(store.GetInstruments(Blank(resource)));

    private static Results<Ok<MetricSeriesPage>, NotFound<ProblemDetails>> GetSeries(HttpRequest request, TelemetryStore store, string resource, string name)
    {
        if (store.GetSeries(resource, name) is not { } found)
        {
            return TypedResults.NotFound(ResourcesApi.Problem(StatusCodes.Status404NotFound, $"{resource} has no instrument {name}."));
        }

        // Every dimension with the values seen, for the page's filter drop-downs (before filtering).
        var dimensions = found.Series
            .SelectMany(s => s.Attributes)
            .GroupBy(a => a.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(a => a.Value).Distinct().Order(StringComparer.Ordinal)], StringComparer.Ordinal);
        // Any other query parameter filters on a dimension: ?resource=..&name=..&method=GET.
        var filters = request.Query.Where(q => q.Key is not ("resource" or "name") && !string.IsNullOrEmpty(q.Value)).ToArray();
        var series = found.Series
            .Where(s => filters.All(f => s.Attributes.TryGetValue(f.Key, out var v) && v == f.Value))
            .ToArray();
        return TypedResults.Ok(new MetricSeriesPage(found.Instrument, dimensions, series));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
