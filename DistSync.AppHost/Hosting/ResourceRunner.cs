using System.ComponentModel;
using System.Diagnostics;

namespace DistSync.AppHost.Hosting;

/// <summary>
/// Runs one resource's process: starts it with its environment, captures its console, notices when it
/// dies, restarts it with backoff when asked to, and stops it (with everything it started).
/// </summary>
public sealed class ResourceRunner : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private Process? _process;
    private bool _stopRequested;
    private int _crashesInARow;
    private CancellationTokenSource _restartDelay = new();

    public ResourceRunner(Resource resource, bool restartOnCrash, TimeProvider time)
    {
        Resource = resource;
        RestartOnCrash = restartOnCrash;
        _time = time;
        Console = new ConsoleLog(resource.Name);
    }

    public Resource Resource { get; }

    public ConsoleLog Console { get; }

    public bool RestartOnCrash { get; }

    public ResourceState State { get; private set; } = ResourceState.NotStarted;

    public int? Pid { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public int Restarts { get; private set; }

    public int? ExitCode { get; private set; }

    /// <summary>Raised on every state change, from whichever thread noticed it.</summary>
    public event Action<ResourceRunner>? Changed;

    /// <summary>Raised when the process exits without having been asked to.</summary>
    public event Action<ResourceRunner, int, TimeSpan?>? Crashed;

    public void Start()
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
            {
                return;
            }

            _stopRequested = false;
            var launch = Resource.CreateLaunch();
            Directory.CreateDirectory(launch.WorkingDirectory);
            var info = new ProcessStartInfo(launch.FileName)
            {
                WorkingDirectory = launch.WorkingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var argument in launch.Arguments)
            {
                info.ArgumentList.Add(argument);
            }

            foreach (var (key, value) in Resource.Environment)
            {
                info.Environment[key] = value;
            }

            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => OnLine(e.Data, isError: false);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data, isError: true);
            try
            {
                process.Start();
            }
            catch (Win32Exception ex)
            {
                SetState(ResourceState.FailedToStart);
                throw new AppHostException($"{Resource.Name}: cannot start '{launch.FileName}': {ex.Message}.");
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            Pid = process.Id;
            StartedAt = _time.GetUtcNow();
            ExitCode = null;
            _ = WatchExitAsync(process);
        }

        SetState(ResourceState.Starting);
    }

    /// <summary>Marks the resource healthy or not (the orchestrator probes it).</summary>
    public void ReportHealth(bool healthy)
    {
        if (State is ResourceState.Starting or ResourceState.Running or ResourceState.Healthy or ResourceState.Unhealthy)
        {
            SetState(healthy ? ResourceState.Healthy : State == ResourceState.Starting ? ResourceState.Starting : ResourceState.Unhealthy);
        }
    }

    /// <summary>SIGTERM to the process and its children; SIGKILL whatever is left after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Process? process;
        lock (_gate)
        {
            _stopRequested = true;
            _restartDelay.Cancel();
            process = _process;
        }

        if (process is null || process.HasExited)
        {
            SetState(ResourceState.Stopped);
            return;
        }

        SetState(ResourceState.Stopping);
        var tree = ProcessTree.WithDescendants(process.Id);
        ProcessTree.Signal(tree, ProcessTree.SigCont);
        ProcessTree.Signal(tree, ProcessTree.SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // It did not stop in time.
        }

        // Children a launcher left behind, or a process that ignored SIGTERM.
        ProcessTree.Signal(tree.Where(ProcessTree.IsAlive), ProcessTree.SigKill);
        try
        {
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // SIGKILL was sent; the kernel reaps it. Carry on stopping the other resources.
        }

        lock (_gate)
        {
            // The exit watcher records it too, but may run after this: a stopped resource shows its exit code now.
            if (ReferenceEquals(process, _process) && process.HasExited)
            {
                ExitCode = process.ExitCode;
            }
        }

        SetState(ResourceState.Stopped);
    }

    /// <summary>SIGKILL the process tree now, as a crash would; no restart follows. For fault injection.</summary>
    public async Task KillAsync()
    {
        Process? process;
        lock (_gate)
        {
            _stopRequested = true;
            _restartDelay.Cancel();
            process = _process;
        }

        if (process is null || process.HasExited)
        {
            return;
        }

        ProcessTree.Signal(ProcessTree.WithDescendants(process.Id), ProcessTree.SigKill);
        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        SetState(ResourceState.Stopped);
    }

    /// <summary>SIGSTOP / SIGCONT: the process is frozen, as a long GC pause or a hung VM looks to its peers.</summary>
    public void Pause(bool paused)
    {
        if (_process is { HasExited: false } process)
        {
            ProcessTree.Signal(ProcessTree.WithDescendants(process.Id), paused ? ProcessTree.SigStop : ProcessTree.SigCont);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process?.Dispose();
        _restartDelay.Dispose();
    }

    private void OnLine(string? text, bool isError)
    {
        if (text is not null)
        {
            Console.Write(text, isError, _time.GetUtcNow());
        }
    }

    private async Task WatchExitAsync(Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None);
        TimeSpan? restartIn = null;
        lock (_gate)
        {
            if (!ReferenceEquals(process, _process))
            {
                return;
            }

            ExitCode = process.ExitCode;
            if (_stopRequested)
            {
                return;
            }

            var ranFor = _time.GetUtcNow() - (StartedAt ?? _time.GetUtcNow());
            _crashesInARow = ranFor > StableAfter ? 1 : _crashesInARow + 1;
            if (RestartOnCrash)
            {
                restartIn = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, _crashesInARow - 1)));
                _restartDelay.Dispose();
                _restartDelay = new CancellationTokenSource();
            }
        }

        SetState(ResourceState.Exited);
        Crashed?.Invoke(this, process.ExitCode, restartIn);
        if (restartIn is { } delay)
        {
            try
            {
                await Task.Delay(delay, _time, _restartDelay.Token);
                lock (_gate)
                {
                    if (_stopRequested)
                    {
                        return;
                    }

                    Restarts++;
                }

                Start();
            }
            catch (OperationCanceledException)
            {
                // Stopped while waiting to restart.
            }
            catch (AppHostException)
            {
                // Start already recorded FailedToStart.
            }
        }
    }

    private void SetState(ResourceState state)
    {
        if (State == state)
        {
            return;
        }

        State = state;
        Changed?.Invoke(this);
    }
}
