namespace DistSync.LoadTests.Cli;

/// <summary>Describes the machine a run measured, for the report.</summary>
public static class MachineInfo
{
    /// <summary>"2 cores, AMD EPYC" from the processor count and <c>/proc/cpuinfo</c> (when readable).</summary>
    public static string Describe()
    {
        string? cpuinfo = null;
        try
        {
            cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : null;
        }
        catch (IOException)
        {
            // Leave the model out.
        }

        return $"{Environment.ProcessorCount} cores (nproc), CPU {CpuModel(cpuinfo) ?? "unknown"}, {Environment.OSVersion}, .NET {Environment.Version}";
    }

    /// <summary>The 1/5/15-minute load averages from <c>/proc/loadavg</c>: other work on the machine skews every number.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>
    /// A warning when Linux's scheduler autogroups are on (<c>kernel.sched_autogroup_enabled</c>), else null. Aspire's
    /// orchestrator starts the nodes and Redis in a session of their own, so with autogroups the whole cluster gets one
    /// share of the CPU against this load generator's one share: on 2 cores that halved the lock pairs/s the same
    /// binaries did when started from this shell. Clients on other machines do not compete so.
    /// </summary>
    public static string? AutogroupWarning(string? enabled) =>
        enabled?.Trim() == "1"
            ? "scheduler autogroups are on: the AppHost's nodes share one CPU share against this generator's; for figures that measure the nodes and not the scheduler, run `sudo sysctl kernel.sched_autogroup_enabled=0` first"
            : null;

    public static string? AutogroupWarning()
    {
        try
        {
            const string path = "/proc/sys/kernel/sched_autogroup_enabled";
            return AutogroupWarning(File.Exists(path) ? File.ReadAllText(path) : null);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The first <c>model name</c> line's value in /proc/cpuinfo text, or null.</summary>
    public static string? CpuModel(string? cpuinfo) =>
        cpuinfo?.Split('\n')
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim() == "model name")
            .Select(parts => parts[1].Trim())
            .FirstOrDefault(model => model.Length > 0);
}
