using System.Diagnostics;

namespace DistSync.AppHost.Hosting;

/// <summary>Garnet runs as a local dotnet tool; restoring it first makes a fresh checkout work with no extra step.</summary>
internal static class GarnetTool
{
    public static async Task RestoreAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet", ["tool", "restore"])
        {
            WorkingDirectory = DistributedApplicationBuilder.RepoRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info) ?? throw new AppHostException("Cannot run 'dotnet tool restore' for Garnet.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            var why = (await errors + await output).Trim().ReplaceLineEndings(" ");
            throw new AppHostException($"No redis-server on PATH and 'dotnet tool restore' for Garnet failed ({why}): install redis-server (apt-get install redis-server) or pass --redis.");
        }
    }
}
