using System.Globalization;
using System.Runtime.InteropServices;

namespace DistSync.LoadTests.Cluster;

/// <summary>
/// Processes as Linux shows them in <c>/proc</c>, and signals sent through libc's <c>kill</c>: what stopping a cluster
/// this tool started and the fault harness's nemeses both need.
/// </summary>
public static partial class LinuxProcesses
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public static void Signal(IEnumerable<int> pids, int signal)
    {
        ArgumentNullException.ThrowIfNull(pids);
        foreach (var pid in pids)
        {
            _ = SendSignal(pid, signal); // a process that exited meanwhile is what the caller wanted anyway
        }
    }

    /// <summary>Every process below <paramref name="root"/> (children, their children, ...), as they are now.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var children = AllPids().Select(pid => (Pid: pid, Parent: ParentOf(pid))).Where(p => p.Parent is not null)
            .ToLookup(p => p.Parent!.Value, p => p.Pid);
        var found = new List<int> { root };
        for (var i = 0; i < found.Count && found.Count < 1_000; i++)
        {
            found.AddRange(children[found[i]]);
        }

        return found[1..];
    }

    /// <summary>Processes that watch <paramref name="pid"/> to end with it: Aspire's orchestrator (DCP) runs detached, with <c>--monitor PID</c>.</summary>
    public static IReadOnlyList<int> Monitoring(int pid)
    {
        var text = pid.ToString(CultureInfo.InvariantCulture);
        return [.. AllPids().Where(p => CommandLine(p) is var args && args.Zip(args.Skip(1)).Any(a => a.First == "--monitor" && a.Second == text))];
    }

    /// <summary>Whether the process still exists (a zombie counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Every process but this one.</summary>
    public static IEnumerable<int> AllPids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId)
            {
                yield return pid;
            }
        }
    }

    /// <summary>The process's environment as <c>NAME=value</c> entries; empty when it is gone or not ours.</summary>
    public static string[] Environ(int pid) => ReadNulSeparated($"/proc/{pid}/environ");

    /// <summary>The process's arguments, the program first; empty when it is gone or not ours.</summary>
    public static string[] CommandLine(int pid) => ReadNulSeparated($"/proc/{pid}/cmdline");

    public static string? WorkingDirectory(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>How many of the process's ancestors are among <paramref name="among"/>: 0 for the topmost of them.</summary>
    public static int Depth(int pid, List<int> among)
    {
        ArgumentNullException.ThrowIfNull(among);
        var depth = 0;
        for (var parent = ParentOf(pid); parent is { } p && among.Contains(p) && depth < among.Count; parent = ParentOf(p))
        {
            depth++;
        }

        return depth;
    }

    /// <summary>The process's resident memory (<c>VmRSS</c>) in bytes; null when it is gone.</summary>
    public static long? ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>CPU time the process has used (user + system, from <c>/proc/PID/stat</c>); null when it is gone.</summary>
    public static TimeSpan? CpuTime(int pid) =>
        // utime and stime are the 14th and 15th fields, in clock ticks (100 a second on Linux).
        StatFields(pid) is { Length: > 12 } fields
        && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
        && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? TimeSpan.FromSeconds((user + system) / 100.0)
            : null;

    public static int? ParentOf(int pid) =>
        StatFields(pid) is { Length: > 1 } fields && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;

    /// <summary>
    /// <c>/proc/PID/stat</c> from its third field on (the state): "pid (comm) state ppid ...", where comm may hold spaces,
    /// so it is read after the last ')'. Null when the process is gone.
    /// </summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static string[] ReadNulSeparated(string path)
    {
        try
        {
            return File.ReadAllText(path).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return []; // gone, or not ours
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
