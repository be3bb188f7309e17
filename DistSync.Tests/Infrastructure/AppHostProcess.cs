using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// The built AppHost run as a user runs it (its own process, its own DCP and dashboard), on free ports so it never
/// meets another run; for what only a whole process shows: exit codes, error lines, Ctrl+C, the manifest.
/// </summary>
public sealed class AppHostProcess : IDisposable
{
    private readonly Process _process;

    private AppHostProcess(Process process, string dataDir)
    {
        _process = process;
        DataDir = dataDir;
    }

    public int Pid => _process.Id;

    public string DataDir { get; }

    public Process Process => _process;

    /// <summary>The checkout this test assembly was built in (the folder with DistSync.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DistSync.sln")))
            {
                dir = dir.Parent;
            }

            Assert.NotNull(dir);
            return dir.FullName;
        }
    }

    /// <summary>The AppHost's build output, next to this test assembly's configuration (Debug or Release).</summary>
    public static string Executable =>
        Path.Combine(RepoRoot, "DistSync.AppHost", "bin",
            typeof(AppHostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug", "net10.0", "DistSync.AppHost");

    public static AppHostProcess Start(IEnumerable<string> args, string? dataDir = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "distsync-tests", Guid.NewGuid().ToString("n"));
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Executable)!,
        };
        // No sample app unless a test asks for it: it would add its orders and locks to every test's cluster.
        var list = args.ToList();
        foreach (var arg in list.Append($"--DistSync:DataDir={dataDir}").Concat(list.Any(a => a.Contains("Sample", StringComparison.Ordinal)) ? [] : ["--DistSync:Sample=false"]))
        {
            info.ArgumentList.Add(arg);
        }

        // What the launch profile gives `dotnet run`, on ports of this test's own.
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        info.Environment["Parameters__admin-token"] = DistSync.LoadTests.Cli.ApiToken.ForStartedCluster();
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}";
        info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        info.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        var process = Process.Start(info)!;
        return new AppHostProcess(process, dataDir);
    }

    /// <summary>Runs to its end; returns the exit code and what it printed.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        using var run = Start(args);
        var stdout = run._process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = run._process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await run._process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        return (run._process.ExitCode, await stdout, await stderr);
    }

    public static int FreePort() => DistSync.Hosting.FreePorts.Take();

    /// <summary>
    /// Every process this AppHost started: DCP (it names the AppHost's pid in <c>--monitor</c>) and everything below
    /// it, and anything else that carries this run's data folder in its arguments or environment.
    /// </summary>
    public IReadOnlyList<int> Descendants()
    {
        var found = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Pid)
            {
                continue;
            }

            var cmdline = Read($"{dir}/cmdline").Replace('\0', ' ');
            if (cmdline.Contains($"--monitor {Pid}", StringComparison.Ordinal) || cmdline.Contains(DataDir, StringComparison.Ordinal)
                || Read($"{dir}/environ").Contains(DataDir, StringComparison.Ordinal))
            {
                found.Add(pid);
            }
        }

        foreach (var root in found.ToList())
        {
            found.UnionWith(DistSync.Hosting.NodeProcess.Descendants(root));
        }

        return [.. found.Where(IsAlive)];
    }

    public static bool IsAlive(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        return stat.Length > 0 && !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
