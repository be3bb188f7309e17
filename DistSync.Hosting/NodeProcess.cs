using System.Globalization;
using System.Runtime.InteropServices;

namespace DistSync.Hosting;

/// <summary>
/// A node's OS processes, found from its resource snapshot. DCP starts a project as <c>dotnet run</c>, which runs the
/// node as its child, so the snapshot's pid is the launcher's and the node is among its descendants.
/// </summary>
public static partial class NodeProcess
{
    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>The launcher's pid (the snapshot's <c>executable.pid</c>), or null when the resource has no process.</summary>
    public static int? LauncherPid(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value switch
        {
            int pid => pid,
            long pid => (int)pid,
            string text when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) => pid,
            _ => null,
        };

    /// <summary>The processes below the launcher, deepest last: the node itself, and anything it started.</summary>
    public static IReadOnlyList<int> Descendants(int rootPid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) is { } parent)
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(pid);
            }
        }

        var found = new List<int> { rootPid };
        for (var i = 0; i < found.Count && found.Count < 1_000; i++)
        {
            if (children.TryGetValue(found[i], out var list))
            {
                found.AddRange(list);
            }
        }

        return found[1..];
    }

    /// <summary>Sends a signal to each process; true when at least one received it.</summary>
    public static bool Signal(IEnumerable<int> pids, int signal)
    {
        var any = false;
        foreach (var pid in pids)
        {
            any |= Kill(pid, signal) == 0;
        }

        return any;
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat is "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
