using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DistSync.AppHost.Dashboard.Api;

/// <summary>Resources from the orchestrator's catalog, their console output and lifecycle commands.</summary>
internal static class ResourcesApi
{
    private const int MaxConsoleLines = 2_000;

    public static IEndpointRouteBuilder MapResourcesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/resources", GetResources).WithName("GetResources").WithSummary("Every resource the AppHost runs.");
        api.MapPost("/resources/{name}/{command}", RunCommandAsync).WithName("ResourceCommand").WithSummary("stop, start or restart a resource.").DisableAntiforgery();
        api.MapGet("/console/{name}", GetConsole).WithName("GetConsole").WithSummary("Console lines of a resource after a sequence number.");
        return app;
    }

    private static Ok<IReadOnlyList<ResourceSnapshot>> GetResources(IResourceCatalog catalog) => TypedResults.Ok(catalog.GetResources());

    private static async Task<Results<Ok<CommandResult>, NotFound<ProblemDetails>, BadRequest<ProblemDetails>>> RunCommandAsync(
        string name, string command, IResourceCatalog catalog, CancellationToken ct)
    {
        Func<string, CancellationToken, Task>? run = command switch
        {
            "stop" => catalog.StopAsync,
            "start" => catalog.StartAsync,
            "restart" => catalog.RestartAsync,
            _ => null,
        };
        if (run is null)
        {
            return TypedResults.BadRequest(Problem(StatusCodes.Status400BadRequest, $"command '{command}' is not one of stop, start, restart."));
        }

        try
        {
            await run(name, ct);
        }
        catch (KeyNotFoundException)
        {
            return TypedResults.NotFound(Problem(StatusCodes.Status404NotFound, $"No resource is named '{name}'."));
        }

        return TypedResults.Ok(new CommandResult(name, command, "done"));
    }

    private static Results<Ok<ConsolePage>, NotFound<ProblemDetails>> GetConsole(
        string name, IResourceCatalog catalog, long after = 0, int max = 500)
    {
        try
        {
            var lines = catalog.GetConsole(name, after, Math.Clamp(max, 1, MaxConsoleLines));
            return TypedResults.Ok(new ConsolePage(name, lines, lines.Count == 0 ? after : lines[^1].Sequence));
        }
        catch (KeyNotFoundException)
        {
            return TypedResults.NotFound(Problem(StatusCodes.Status404NotFound, $"No resource is named '{name}'."));
        }
    }

    internal static ProblemDetails Problem(int status, string detail) =>
        new() { Status = status, Title = status == StatusCodes.Status404NotFound ? "Not found" : "Bad request", Detail = detail };
}
