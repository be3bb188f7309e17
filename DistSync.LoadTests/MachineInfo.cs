namespace DistSync.LoadTests;

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

    /// <summary>The first <c>model name</c> line's value in /proc/cpuinfo text, or null.</summary>
    public static string? CpuModel(string? cpuinfo) =>
        cpuinfo?.Split('\n')
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim() == "model name")
            .Select(parts => parts[1].Trim())
            .FirstOrDefault(model => model.Length > 0);
}
