using System.Diagnostics;
using DistSync.LoadTests.Cluster;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Chaos;

/// <summary>
/// The nemesis finds a cluster's processes in /proc as the AppHost starts them (a node by its data folder in its
/// environment, inherited by its child; Redis by its working folder) and signals them for real. The stand-ins are
/// real processes (a shell and its child, a process working in the Redis folder), so no node needs to run here.
/// </summary>
public sealed class ClusterProcessesTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "distsync-tests", $"procs-{Guid.NewGuid():n}");
    private readonly List<Process> _started = [];

    [Fact]
    public async Task Node_FindsTheLauncherAndItsChild_ChildLast_AndNoOtherNodesProcesses()
    {
        var launcher = Start("node2", "sleep 300 & wait");
        _ = Start("node3", "sleep 300");
        // Until the child has exec'd its program, /proc may show no environment for it (it is being replaced).
        await Eventually.UntilAsync(() => Children(launcher.Id).Any(Execed), TimeSpan.FromSeconds(10), "the launcher starts its child");
        var child = Children(launcher.Id).Single();

        var found = new ClusterProcesses(_dataDir).Node("node2");

        Assert.Equal([launcher.Id, child], found);
    }

    [Fact]
    public async Task PauseNode_StopsOnlyTheNode_ResumeLetsItRun_KillNode_EndsBoth()
    {
        // The node is a sleep named DistSync.Node, as the real one's command line names it. The launcher outlives its
        // child (it becomes a sleep of its own), so only the nemesis's SIGKILL ends it.
        var node = Path.Combine(_dataDir, "DistSync.Node");
        Directory.CreateDirectory(_dataDir);
        File.CreateSymbolicLink(node, "/bin/sleep");
        var launcher = Start("node1", $"'{node}' 300 & wait; exec sleep 300");
        var processes = new ClusterProcesses(_dataDir);
        await Eventually.UntilAsync(() => Children(launcher.Id).Any(), TimeSpan.FromSeconds(10), "the launcher starts its child");
        var child = Children(launcher.Id).Single();

        var paused = processes.PauseNode("node1");

        Assert.Equal([child], paused);
        await Eventually.UntilAsync(() => State(child) == 'T', TimeSpan.FromSeconds(10), "the node is stopped");
        Assert.NotEqual('T', State(launcher.Id));

        ClusterProcesses.Resume(paused);
        await Eventually.UntilAsync(() => State(child) is 'S' or 'R', TimeSpan.FromSeconds(10), "the node runs again");

        processes.KillNode("node1");
        await launcher.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(137, launcher.ExitCode); // 128 + SIGKILL
        await Eventually.UntilAsync(() => State(child) is null or 'Z', TimeSpan.FromSeconds(10), "the node is gone");
        Assert.Empty(processes.Node("node1"));
    }

    [Fact]
    public async Task PauseNode_OnlyALauncherWhoseChildIsNoNodeYet_PausesNothing()
    {
        var launcher = Start("node2", "sleep 300 & wait");
        await Eventually.UntilAsync(() => Children(launcher.Id).Any(), TimeSpan.FromSeconds(10), "the launcher starts its child");

        Assert.Empty(new ClusterProcesses(_dataDir).PauseNode("node2"));
        Assert.NotEqual('T', State(Children(launcher.Id).Single()));
    }

    [Fact]
    public async Task Redis_IsTheProcessWorkingInTheRedisFolder_KillRedis_EndsIt()
    {
        var folder = Path.Combine(_dataDir, "redis");
        Directory.CreateDirectory(folder);
        var info = new ProcessStartInfo("sleep", ["300"]) { WorkingDirectory = folder };
        var redis = Process.Start(info)!;
        _started.Add(redis);
        var processes = new ClusterProcesses(_dataDir);

        Assert.Equal(redis.Id, processes.Redis());
        Assert.Equal(redis.Id, processes.KillRedis());
        await redis.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Null(new ClusterProcesses(Path.Combine(_dataDir, "elsewhere")).Redis());
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // never made
        }
    }

    /// <summary>A stand-in node: a shell given the node's environment, as DCP gives its launcher.</summary>
    private Process Start(string node, string script)
    {
        var info = new ProcessStartInfo("sh", ["-c", script]);
        info.Environment["DistSync__DataDir"] = Path.Combine(_dataDir, node);
        info.Environment["DistSync__NodeId"] = node;
        var process = Process.Start(info)!;
        _started.Add(process);
        return process;
    }

    private static IEnumerable<int> Children(int parent)
    {
        var path = $"/proc/{parent}/task/{parent}/children";
        return File.Exists(path) ? File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse) : [];
    }

    /// <summary>The child runs its own program (sleep), no longer the shell it was forked from.</summary>
    private static bool Execed(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "sleep" && File.ReadAllBytes($"/proc/{pid}/environ").Length > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return null;
        }
    }
}
