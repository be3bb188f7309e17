using static DistSync.LoadTests.Cluster.LinuxProcesses;

namespace DistSync.LoadTests.Cluster;

/// <summary>
/// The OS processes of a cluster the AppHost runs from <paramref name="dataDir"/>, found in <c>/proc</c> as the AppHost
/// describes them: a node by the environment it was given (<c>DistSync__DataDir=&lt;dataDir&gt;/nodeN</c>, inherited by
/// the node from its <c>dotnet run</c> launcher), Redis by the data folder on its command line. Signals go to the
/// processes themselves, as a crash or an operator's <c>kill</c> would; no flag inside the product is involved.
/// </summary>
public sealed class ClusterProcesses(string dataDir)
{
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

    public int? KillRedis()
    {
        if (Redis() is not { } pid)
        {
            return null;
        }

        Signal([pid], SigKill);
        return pid;
    }
}
