using System.Diagnostics;
using System.Runtime.InteropServices;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// One server process of a peer system (an etcd member, a NATS server, Redis) that <c>vs</c> starts and stops: run in
/// a session of its own (<c>setsid</c>) so the terminal's Ctrl+C reaches only this tool, its output written to a log
/// file, stopped with SIGTERM (then SIGKILL). If this tool is told to stop (SIGTERM, SIGHUP, a second Ctrl+C), every
/// peer process still running is sent SIGTERM on the way out, as <see cref="ManagedCluster"/> does for its AppHosts.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private static readonly HashSet<PeerProcess> s_running = [];
    private static readonly List<int> s_started = [];
    private static readonly Lock s_gate = new();
    private static PosixSignalRegistration[]? s_signals;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pump;

    private PeerProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        _pump = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    /// <summary>What the tool calls it in its output ("etcd e1").</summary>
    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Every process id this tool started as a peer, running or not: a test checks that none is left.</summary>
    public static IReadOnlyList<int> StartedIds
    {
        get
        {
            lock (s_gate)
            {
                return [.. s_started];
            }
        }
    }

    /// <summary>Starts <paramref name="program"/> (a full path) with its output going to <paramref name="logPath"/>.</summary>
    public static PeerProcess Start(string name, string program, IEnumerable<string> arguments, string logPath)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {program} {string.Join(' ', info.ArgumentList.Skip(1))}");
        lock (s_gate)
        {
            s_signals ??= [PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => StopAllNow()), PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => StopAllNow())];
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}.");
        var peer = new PeerProcess(name, process, log, logPath);
        lock (s_gate)
        {
            s_running.Add(peer);
            s_started.Add(process.Id);
        }

        return peer;
    }

    /// <summary>Sends SIGTERM to every peer process still running, without waiting: for a tool on its way out.</summary>
    public static void StopAllNow()
    {
        lock (s_gate)
        {
            LinuxProcesses.Signal(s_running.Select(p => p.Id), LinuxProcesses.SigTerm);
        }
    }

    /// <summary>Throws, naming the log, if the process has exited (a port taken, a bad flag).</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting; its output is in {LogPath}.");
        }
    }

    /// <summary>SIGTERM, then SIGKILL after 10 s; never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            LinuxProcesses.Signal([_process.Id], LinuxProcesses.SigTerm);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                await Console.Error.WriteLineAsync($"warning: {Name} (pid {_process.Id}) did not stop within 10 s of SIGTERM; killing it.");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        lock (s_gate)
        {
            s_running.Remove(this);
        }

        try
        {
            await _pump.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A straggler holds the pipe: the log may miss its last lines.
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lock (_log)
            {
                try
                {
                    _log.WriteLine(line);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }
}
