using System.Diagnostics;

namespace DistSync.Hosting;

/// <summary>
/// Garnet runs from a local tool manifest in or above the AppHost's folder (this repository's names it); restoring it
/// before each start makes a fresh clone work with no extra step.
/// </summary>
internal static class GarnetTool
{
    /// <summary>Where <c>dotnet tool</c> runs: it finds <c>.config/dotnet-tools.json</c> there or in a folder above.</summary>
    public static string ManifestDirectory(string appHostDirectory) => appHostDirectory;

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
