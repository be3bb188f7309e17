using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// The server processes of one peer system (three etcd members, three NATS servers, or Redis), started together in a
/// session of their own: a <c>setsid sh</c> starts each in the background with its output in its own log file and waits
/// for them. One session per system, as the AppHost runs DistSync's nodes in one: with Linux's scheduler autogroups on,
/// each session gets one CPU share, so each side gets the same one. The terminal's Ctrl+C does not reach them; if this
/// tool is told to stop (SIGTERM, SIGHUP, a second Ctrl+C), every group still running is sent SIGTERM on the way out.
/// </summary>
public sealed class PeerGroup : IAsyncDisposable
{
    private static readonly HashSet<PeerGroup> s_running = [];
    private static readonly List<int> s_started = [];
    private static readonly Lock s_gate = new();
    private static PosixSignalRegistration[]? s_signals;

    private readonly Process _shell;
    private readonly IReadOnlyList<Member> _members;

    private PeerGroup(string system, Process shell, IReadOnlyList<Member> members, IReadOnlyList<int> ids)
    {
        System = system;
        _shell = shell;
        _members = members;
        Ids = ids;
    }

    /// <summary>One server: a name for messages ("etcd e1"), the program's full path, its arguments and its log file.</summary>
    public sealed record Member(string Name, string Program, IReadOnlyList<string> Arguments, string LogPath);

    public string System { get; }

    /// <summary>The servers' process ids, in the members' order.</summary>
    public IReadOnlyList<int> Ids { get; }

    public IReadOnlyList<string> LogPaths => [.. _members.Select(m => m.LogPath)];

    /// <summary>Every server process id this tool started, running or not: a test checks that none is left.</summary>
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

    public static async Task<PeerGroup> StartAsync(string system, IReadOnlyList<Member> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var script = new StringBuilder();
        foreach (var member in members)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(member.LogPath))!);
            await File.WriteAllTextAsync(member.LogPath, $"# {member.Program} {string.Join(' ', member.Arguments)}{Environment.NewLine}");
            script.Append(string.Join(' ', new[] { member.Program }.Concat(member.Arguments).Select(Quote)))
                .Append(" </dev/null >>").Append(Quote(member.LogPath)).Append(" 2>&1 &\necho $!\n");
        }

        script.Append("wait\n");
        lock (s_gate)
        {
            s_signals ??= [PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => StopAllNow()), PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => StopAllNow())];
        }

        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var argument in (string[])["sh", "-c", script.ToString()])
        {
            info.ArgumentList.Add(argument);
        }

        var shell = Process.Start(info) ?? throw new InvalidOperationException($"could not start {system}'s servers.");
        var ids = new List<int>();
        while (ids.Count < members.Count && await shell.StandardOutput.ReadLineAsync() is { } line)
        {
            ids.Add(int.Parse(line, CultureInfo.InvariantCulture));
        }

        var group = new PeerGroup(system, shell, members, ids);
        lock (s_gate)
        {
            s_running.Add(group);
            s_started.AddRange(ids);
        }

        if (ids.Count < members.Count)
        {
            await group.DisposeAsync();
            throw new InvalidOperationException($"{system}'s servers did not start; their output is in {string.Join(", ", group.LogPaths)}.");
        }

        return group;
    }

    /// <summary>Sends SIGTERM to every server still running, without waiting: for a tool on its way out.</summary>
    public static void StopAllNow()
    {
        lock (s_gate)
        {
            LinuxProcesses.Signal(s_running.SelectMany(g => g.Ids), LinuxProcesses.SigTerm);
        }
    }

    /// <summary>Throws, naming its log, if a server has exited (a port taken, a bad flag).</summary>
    public void ThrowIfExited()
    {
        for (var i = 0; i < Ids.Count; i++)
        {
            if (!LinuxProcesses.IsAlive(Ids[i]))
            {
                throw new InvalidOperationException($"{_members[i].Name} exited while starting; its output is in {_members[i].LogPath}.");
            }
        }
    }

    /// <summary>SIGTERM to every server, then SIGKILL to those still running after 10 s; never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        LinuxProcesses.Signal(Ids, LinuxProcesses.SigTerm);
        for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(10); Ids.Any(LinuxProcesses.IsAlive) && DateTime.UtcNow < until;)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        if (Ids.Where(LinuxProcesses.IsAlive).ToList() is { Count: > 0 } stuck)
        {
            await Console.Error.WriteLineAsync($"warning: {System} (pids {string.Join(", ", stuck)}) did not stop within 10 s of SIGTERM; killing it.");
            LinuxProcesses.Signal(stuck, LinuxProcesses.SigKill);
        }

        try
        {
            await _shell.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            _shell.Kill(entireProcessTree: true);
        }

        lock (s_gate)
        {
            s_running.Remove(this);
        }

        _shell.Dispose();
    }

    /// <summary>One shell word: in single quotes, a single quote written as '\''.</summary>
    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
