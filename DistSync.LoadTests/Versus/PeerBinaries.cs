using System.Diagnostics;

namespace DistSync.LoadTests.Versus;

/// <summary>Finds the peers' server programs, and says which Debian package installs one that is missing.</summary>
public static class PeerBinaries
{
    /// <summary>Where Debian puts them (nats-server is in /usr/sbin, which an ordinary user's PATH may lack).</summary>
    private static readonly string[] ExtraFolders = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];

    /// <summary>The full path of <paramref name="program"/>, or an error naming <paramref name="debianPackage"/>.</summary>
    public static string Require(string program, string debianPackage)
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(ExtraFolders);
        return folders.Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{program} was not found (PATH, /usr/sbin); install Debian's {debianPackage} package: sudo apt-get install -y {debianPackage}");
    }

    /// <summary>The first line <c>program --version</c> prints ("etcd Version: 3.4.23"), or "unknown".</summary>
    public static async Task<string> VersionAsync(string path)
    {
        var info = new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info);
        if (process is null)
        {
            return "unknown";
        }

        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "unknown";
    }
}
