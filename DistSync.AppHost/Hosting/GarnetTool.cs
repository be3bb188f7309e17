using System.Diagnostics;

namespace DistSync.AppHost.Hosting;

/// <summary>Garnet runs from the repo's local tool manifest; restoring it first makes a fresh clone work with no extra step.</summary>
internal static class GarnetTool
{
    /// <summary>The repo root, where <c>.config/dotnet-tools.json</c> names the tool.</summary>
    public static string ManifestDirectory(string appHostDirectory) => Path.GetFullPath(Path.Combine(appHostDirectory, ".."));

    public static void Restore(string appHostDirectory)
    {
        Console.WriteLine("redis-server is not on PATH: using Garnet (dotnet tool restore)...");
        var info = new ProcessStartInfo("dotnet", ["tool", "restore"])
        {
            WorkingDirectory = ManifestDirectory(appHostDirectory),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info) ?? throw new DistSyncConfigurationException("Cannot run 'dotnet tool restore' for Garnet.");
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new DistSyncConfigurationException(
                $"No redis-server on PATH and 'dotnet tool restore' for Garnet failed ({(errors.Result + output).Trim().ReplaceLineEndings(" ")}): install redis-server (apt-get install redis-server) or use --redis external.");
        }
    }
}
