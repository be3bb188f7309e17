using System.Globalization;
using System.Runtime.InteropServices;

namespace DistSync.LoadTests.Chaos.Nemesis;

/// <summary>
/// The OS processes of a cluster the AppHost runs from <paramref name="dataDir"/>, found in <c>/proc</c> as the AppHost
/// describes them: a node by the environment it was given (<c>DistSync__DataDir=&lt;dataDir&gt;/nodeN</c>, inherited by
/// the node from its <c>dotnet run</c> launcher), Redis by the data folder on its command line. Signals go to the
/// processes themselves, as a crash or an operator's <c>kill</c> would; no flag inside the product is involved.
/// </summary>
public sealed partial class ClusterProcesses(string dataDir)
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private readonly string _dataDir = Path.GetFullPath(dataDir).TrimEnd('/');

    /// <summary>A node's processes, the launcher first and the node itself last (a child of one of the others).</summary>
    public IReadOnlyList<int> Node(string node)
    {
        var marker = $"DistSync__DataDir={_dataDir}/{node}";
        var pids = AllPids().Where(pid => Environ(pid).Contains(marker, StringComparer.Ordinal)).ToList();
        // The deepest last: a process whose parent is also among them is the node (or something it started).
        return [.. pids.OrderBy(pid => Depth(pid, pids))];
    }

    /// <summary>
    /// The Redis (or Garnet) process serving this cluster, or null when none runs: redis-server works in its
    /// <c>--dir</c> (and rewrites its command line), Garnet names the folder as <c>--checkpointdir</c>.
    /// </summary>
    public int? Redis()
    {
        var folder = $"{_dataDir}/redis";
        var found = AllPids().Where(pid => WorkingDirectory(pid) == folder
            || (CommandLine(pid) is var args && args.Contains(folder, StringComparer.Ordinal) && args.Any(a => a.Contains("garnet", StringComparison.OrdinalIgnoreCase)))).ToList();
        // Garnet runs under `dotnet tool run`, whose launcher names the folder too: the server is the deepest.
        return found.Count == 0 ? null : found.OrderBy(pid => Depth(pid, found)).Last();
    }

    /// <summary>SIGKILL to a node and its launcher, as the dashboard's Kill does; the AppHost sees a crash and restarts it.</summary>
    public IReadOnlyList<int> KillNode(string node)
    {
        var pids = Node(node);
        // The node first, then the launcher, so nothing is left without its parent.
        Signal(pids.Reverse(), SigKill);
        return pids;
    }

    /// <summary>SIGSTOP to the node process only (its launcher stays responsive); returns what to resume.</summary>
    public IReadOnlyList<int> PauseNode(string node)
    {
        var pids = Node(node);
        // While the AppHost restarts a node, only its launcher may exist yet: stopping that would pause nothing.
        if (pids.Count == 0 || !CommandLine(pids[^1]).Any(a => a.Contains("DistSync.Node", StringComparison.Ordinal)))
        {
            return [];
        }

        IReadOnlyList<int> target = [pids[^1]];
        Signal(target, SigStop);
        return target;
    }

    public static void Resume(IEnumerable<int> pids) => Signal(pids, SigCont);

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

    public int? KillRedis()
    {
        if (Redis() is not { } pid)
        {
            return null;
        }

        Signal([pid], SigKill);
        return pid;
    }

    public static void Signal(IEnumerable<int> pids, int signal)
    {
        ArgumentNullException.ThrowIfNull(pids);
        foreach (var pid in pids)
        {
            _ = SendSignal(pid, signal); // a process that exited meanwhile is what the nemesis wanted anyway
        }
    }

    private static IEnumerable<int> AllPids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId)
            {
                yield return pid;
            }
        }
    }

    private static string[] Environ(int pid) => ReadNulSeparated($"/proc/{pid}/environ");

    private static string[] CommandLine(int pid) => ReadNulSeparated($"/proc/{pid}/cmdline");

    private static string? WorkingDirectory(int pid)
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

    private static int Depth(int pid, List<int> among)
    {
        var depth = 0;
        for (var parent = ParentOf(pid); parent is { } p && among.Contains(p) && depth < among.Count; parent = ParentOf(p))
        {
            depth++;
        }

        return depth;
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
