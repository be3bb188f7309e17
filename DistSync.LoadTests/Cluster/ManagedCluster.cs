using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DistSync.LoadTests.Cli;

namespace DistSync.LoadTests.Cluster;

/// <summary>
/// A cluster this tool starts and stops itself (<c>--nodes N</c>): this checkout's AppHost, built in this tool's
/// configuration and run as <c>dotnet run --project DistSync.AppHost</c> runs it (Redis, N nodes, the dashboard, so
/// telemetry is on as users run it), on free ports and in a fresh data folder; stopped with SIGTERM as Ctrl+C would.
/// It runs in a session of its own, so the terminal's Ctrl+C reaches only this tool (which lets the users finish and
/// then stops the cluster); if this tool is killed or told to stop (SIGTERM, SIGHUP, a second Ctrl+C), every cluster
/// it started is sent SIGTERM on the way out.
/// </summary>
public sealed partial class ManagedCluster : IAsyncDisposable
{
    /// <summary>Build, start-up and a first leader on a loaded 2-core machine take well under this.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private static readonly HashSet<Process> s_running = [];
    private static readonly Lock s_runningGate = new();
    private static bool s_built;
    private static PosixSignalRegistration[]? s_signals;

    private string? _dashboardLogin;
    private bool _hostingFailed;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pump;

    private ManagedCluster(Process process, StreamWriter log, Task pump, IReadOnlyList<Uri> urls, string dataDir, string redisPassword)
    {
        _process = process;
        _log = log;
        _pump = pump;
        Urls = urls;
        DataDir = dataDir;
        RedisPassword = redisPassword;
    }

    public IReadOnlyList<Uri> Urls { get; }

    public string DataDir { get; }

    /// <summary>The password of the cluster's Redis (one server or every member of a Redis Cluster), chosen by this tool.</summary>
    public string RedisPassword { get; }

    /// <summary>The dashboard's login link, once the AppHost has printed it.</summary>
    public string? DashboardLogin => Volatile.Read(ref _dashboardLogin);

    /// <summary>Sends SIGTERM to every AppHost still running, without waiting: for a tool on its way out.</summary>
    public static void StopAllNow()
    {
        lock (s_runningGate)
        {
            foreach (var process in s_running)
            {
                LinuxProcesses.Signal([process.Id], LinuxProcesses.SigTerm);
            }
        }
    }

    /// <param name="arguments">More AppHost arguments, given the port node1 will listen on (node2 the next, …); asked again if the AppHost is started a second time.</param>
    public static async Task<ManagedCluster> StartAsync(int nodes, string logPath, TextWriter progress, CancellationToken cancellationToken,
        Func<int, IEnumerable<string>>? arguments = null)
    {
        ArgumentNullException.ThrowIfNull(progress);
        try
        {
            return await StartOnceAsync(nodes, logPath, append: false, progress, cancellationToken, arguments);
        }
        catch (AppHostStartException ex)
        {
            // Aspire's orchestrator (DCP) sometimes times out creating the resources on a loaded machine; a second start works.
            await progress.WriteLineAsync($"{ex.Message}; starting it once more ...");
            return await StartOnceAsync(nodes, logPath, append: true, progress, cancellationToken, arguments);
        }
    }

    private static async Task<ManagedCluster> StartOnceAsync(int nodes, string logPath, bool append, TextWriter progress, CancellationToken cancellationToken,
        Func<int, IEnumerable<string>>? arguments)
    {
        var root = RepoRoot();
        var configuration = typeof(ManagedCluster).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var project = Path.Combine(root, "DistSync.AppHost", "DistSync.AppHost.csproj");
        if (!s_built)
        {
            await progress.WriteLineAsync($"building the AppHost ({configuration}) ...");
            await BuildAsync(project, configuration, cancellationToken);
            s_built = true;
        }

        var basePort = LoopbackPorts.TakeRange(nodes);
        var dataDir = Path.Combine(Path.GetTempPath(), "distsync-loadtests", Guid.NewGuid().ToString("n"));
        // setsid: a session of its own (the same pid: a child of this tool is no group leader, so setsid execs in place).
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(root, "DistSync.AppHost"),
        };
        info.ArgumentList.Add(Path.Combine(root, "DistSync.AppHost", "bin", configuration, "net10.0", "DistSync.AppHost"));
        foreach (var arg in new[] { "--nodes", nodes.ToString(CultureInfo.InvariantCulture), "--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--clean", "--no-sample", "--data-dir", dataDir }
                     .Concat(arguments?.Invoke(basePort) ?? []))
        {
            info.ArgumentList.Add(arg);
        }

        // What the launch profile gives `dotnet run`, on free ports so it never meets a cluster the user already runs.
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        // The tool's own token is this cluster's admin token (the AppHost generates the other roles').
        info.Environment["Parameters__admin-token"] = ApiToken.ForStartedCluster();
        // Redis's password too, so that the fault harness can talk to Redis itself (the AppHost's parameter "redis-password").
        var redisPassword = Guid.NewGuid().ToString("n");
        info.Environment["Parameters__redis-password"] = redisPassword;
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}";
        info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        info.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(logPath, append) { AutoFlush = true };
        WatchSignals();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.ArgumentList[0]}.");
        lock (s_runningGate)
        {
            s_running.Add(process);
        }

        var urls = Enumerable.Range(0, nodes).Select(i => new Uri($"http://127.0.0.1:{basePort + i}")).ToArray();
        var pumps = new TaskCompletionSource<Task>();
        var cluster = new ManagedCluster(process, log, pumps.Task.Unwrap(), urls, dataDir, redisPassword);
        pumps.SetResult(Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError)));
        await progress.WriteLineAsync($"starting a {nodes}-node cluster on ports {basePort}-{basePort + nodes - 1} (AppHost output: {logPath}) ...");
        try
        {
            await cluster.WaitUntilReadyAsync(StartTimeout, cancellationToken);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        await progress.WriteLineAsync($"cluster ready; dashboard: {cluster.DashboardLogin ?? "(no login link printed)"}");
        return cluster;

        async Task PumpAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            {
                lock (log)
                {
                    try
                    {
                        log.WriteLine(line);
                    }
                    catch (ObjectDisposedException)
                    {
                        return; // the cluster was disposed while a straggler still wrote
                    }
                }

                if (line.Contains("Hosting failed to start", StringComparison.Ordinal))
                {
                    Volatile.Write(ref cluster._hostingFailed, true);
                }

                if (cluster.DashboardLogin is null && LoginLink().Match(line) is { Success: true } match)
                {
                    Volatile.Write(ref cluster._dashboardLogin, match.Value);
                }
            }
        }
    }

    /// <summary>
    /// SIGTERM (the AppHost stops the nodes, Redis and the dashboard), then a kill if it has not exited within a minute;
    /// never throws: a run's report must not be lost to a clean-up that went wrong.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        // What the AppHost started (the dashboard and the nodes below it, its orchestrator detached but watching it):
        // waited for below, so the next cluster's orchestrator never starts beside this one's still shutting down.
        IReadOnlyList<int> family = _process.HasExited ? [] : [.. LinuxProcesses.Descendants(_process.Id), .. LinuxProcesses.Monitoring(_process.Id)];
        if (!_process.HasExited)
        {
            LinuxProcesses.Signal([_process.Id], LinuxProcesses.SigTerm);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            }
            catch (TimeoutException)
            {
                await Console.Error.WriteLineAsync($"warning: the AppHost (pid {_process.Id}) did not stop within a minute of SIGTERM; killing it and what it started.");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        lock (s_runningGate)
        {
            s_running.Remove(_process);
        }

        await WaitUntilNodesStopAsync();
        for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(30); family.Any(LinuxProcesses.IsAlive) && DateTime.UtcNow < until;)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        try
        {
            // A process the AppHost started could hold its output pipe open after it exits: do not wait forever.
            await _pump.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync("warning: something the AppHost started still holds its output open; its last lines may be missing from the log.");
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created: the AppHost stopped before its first node did.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"warning: could not delete the cluster's data folder {DataDir}: {ex.Message}");
        }
    }

    /// <summary>
    /// The AppHost can exit a moment before the processes it started have: wait (bounded) until no node answers, so
    /// the next cluster of a --nodes run starts on a quiet machine and nothing is left listening.
    /// </summary>
    private async Task WaitUntilNodesStopAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var answering = await Task.WhenAll(Urls.Select(async url =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(url, "/alive"));
                    return true;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }));
            if (!answering.Any(a => a))
            {
                return;
            }

            if (DateTime.UtcNow > until)
            {
                await Console.Error.WriteLineAsync($"warning: a node still answers a minute after its AppHost stopped ({string.Join(", ", Urls.Where((_, i) => answering[i]))}).");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>On SIGTERM or SIGHUP to this tool, its clusters are told to stop too (they run in sessions of their own).</summary>
    private static void WatchSignals()
    {
        lock (s_runningGate)
        {
            s_signals ??= [PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => StopAllNow()), PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => StopAllNow())];
        }
    }

    /// <summary>Waits until every node is healthy and all name the same leader (after start-up, or after faults healed).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var client = new ClusterClient(Urls, 4);
        var until = DateTime.UtcNow + timeout;
        var anyAnswered = false;
        // What each node's /health said last when it was not healthy, for the error if it never becomes so.
        var lastAnswers = new string?[Urls.Count];
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the AppHost exited with code {_process.ExitCode} before the cluster was ready; its output is in the log named above.");
            }

            if (Volatile.Read(ref _hostingFailed))
            {
                throw new AppHostStartException("the AppHost logged 'Hosting failed to start' (its orchestrator did not create the resources in time)");
            }

            var healthy = await Task.WhenAll(Urls.Select(async (url, i) =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(url, "/health"), cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        var body = await response.Content.ReadAsStringAsync(cancellationToken);
                        lastAnswers[i] = $"{url.Port}: {(int)response.StatusCode} {(body.Length > 300 ? body[..300] + "…" : body)}";
                    }

                    return response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    lastAnswers[i] = $"{url.Port}: {ex.GetType().Name}: {ex.Message}";
                    return false;
                }
            }));
            anyAnswered |= healthy.Any(h => h);
            if (healthy.All(h => h))
            {
                var views = await client.GetNodesAsync(cancellationToken);
                var leader = views.Where(v => v.LeaderId is not null).OrderByDescending(v => v.Term).Select(v => v.LeaderId).FirstOrDefault();
                if (views.Count == Urls.Count && views.All(v => v.LeaderId == leader) && leader is not null)
                {
                    return;
                }
            }

            if (DateTime.UtcNow > until)
            {
                // No node ever answered: the orchestrator is stuck creating them, the hang that ends in "Hosting failed
                // to start" (CI saw the timeout come first). Starting afresh is what helps, as for that line.
                if (!anyAnswered)
                {
                    throw new AppHostStartException($"no node answered within {timeout.TotalSeconds:F0} s (the orchestrator did not create the resources)");
                }

                var said = string.Join("; ", lastAnswers.Where(a => a is not null));
                throw new InvalidOperationException($"the {Urls.Count}-node cluster was not healthy with a leader within {timeout.TotalSeconds:F0} s{(said.Length > 0 ? $" (last /health answers: {said})" : "")}; the AppHost's output is in the log named above.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static async Task BuildAsync(string project, string configuration, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // No build servers: they would stay behind, using memory and CPU on the machine being measured.
        foreach (var arg in new[] { "build", project, "-c", configuration, "--nologo", "-v", "q", "--disable-build-servers" })
        {
            info.ArgumentList.Add(arg);
        }

        using var build = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet build.");
        var output = build.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = build.StandardError.ReadToEndAsync(cancellationToken);
        await build.WaitForExitAsync(cancellationToken);
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"building {project} failed:{Environment.NewLine}{await output}{await errors}");
        }
    }

    /// <summary>The checkout: the folder with DistSync.sln above this tool's build output, else above the current folder.</summary>
    private static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DistSync.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("--nodes starts the cluster from this checkout's DistSync.AppHost, but no DistSync.sln was found above the tool or the current folder; run it from the checkout, or start the cluster yourself and give --urls.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"https?://\S+/login\?t=\S+")]
    private static partial Regex LoginLink();
}
