using System.Runtime.InteropServices;

namespace DistSync.AppHost.Hosting;

/// <summary>
/// Signals a process and everything it started. A resource may run under a launcher (the Garnet tool
/// runs under <c>dotnet tool run</c>), so stopping only the top process could leave its child behind.
/// </summary>
internal static partial class ProcessTree
{
    public const int SigTerm = 15;
    public const int SigKill = 9;
    public const int SigStop = 19;
    public const int SigCont = 18;

    /// <summary>The process and its descendants, parents first, read from /proc.</summary>
    public static IReadOnlyList<int> WithDescendants(int rootPid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || ParentOf(pid) is not int parent)
            {
                continue;
            }

            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(pid);
        }

        var result = new List<int> { rootPid };
        for (var i = 0; i < result.Count && i < 10_000; i++)
        {
            if (children.TryGetValue(result[i], out var list))
            {
                result.AddRange(list);
            }
        }

        return result;
    }

    public static void Signal(IEnumerable<int> pids, int signal)
    {
        foreach (var pid in pids)
        {
            _ = Kill(pid, signal);
        }
    }

    public static bool IsAlive(int pid) => Kill(pid, 0) == 0 && !IsZombie(pid);

    private static int? ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
