using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster for tests: six <c>redis-server</c> processes (three primaries, three replicas) on free loopback
/// ports in a temp folder, formed with <c>redis-cli --cluster create</c> as the AppHost forms it, and connected once every
/// node reports all 16384 slots served. Starting one costs a few seconds; <see cref="TestRedisServers"/> shares one per test class.
/// </summary>
public sealed class RedisCluster : ITestRedis
{
    public const int Size = 6;

    private readonly List<Process> _processes;
    private readonly List<string[]> _arguments;
    private readonly string _dir;

    private RedisCluster(List<Process> processes, List<string[]> arguments, string dir, IReadOnlyList<int> ports, ConnectionMultiplexer connection)
    {
        _processes = processes;
        _arguments = arguments;
        _dir = dir;
        Ports = ports;
        Connection = connection;
    }

    public IReadOnlyList<int> Ports { get; }

    public ConnectionMultiplexer Connection { get; }

    /// <summary>Empties every primary (replicas follow), so a test on the shared cluster starts from no keys.</summary>
    public async Task FlushAsync()
    {
        foreach (var server in Connection.GetServers().Where(s => !s.IsReplica))
        {
            await server.FlushAllDatabasesAsync();
        }
    }

    /// <summary>
    /// Stops the member on <paramref name="port"/> (SIGSTOP) until the handle is disposed: it takes nothing off its
    /// sockets meanwhile, as a replica cut off from its primary. Keep it shorter than the node timeout (2 s), or the
    /// cluster marks the member failed.
    /// </summary>
    public async Task<IAsyncDisposable> FreezeAsync(int port)
    {
        var process = _processes[Ports.ToList().IndexOf(port)];
        await SignalAsync(process, "STOP");
        return new Frozen(() => SignalAsync(process, "CONT"));
    }

    /// <summary>SIGKILL to the member on <paramref name="port"/>: a crash, with whatever it had not yet sent its replica.</summary>
    public async Task KillAsync(int port)
    {
        var process = _processes[Ports.ToList().IndexOf(port)];
        await SignalAsync(process, "KILL");
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Starts a killed member again on its port and folder: its <c>nodes.conf</c> brings it back into the cluster.</summary>
    public void Restart(int port)
    {
        var index = Ports.ToList().IndexOf(port);
        Assert.True(_processes[index].HasExited, $"the member on {port} is still running");
        _processes[index].Dispose();
        _processes[index] = Start("redis-server", _arguments[index]);
    }

    /// <summary>
    /// Cuts the replication link of the replica on <paramref name="replicaPort"/> until the handle is disposed, while
    /// both it and its primary keep serving and the cluster bus stays up: the replica is given a wrong primary password
    /// and its link is dropped, so each reconnect fails its AUTH. Disposing gives the right one back (none here) and the
    /// replica reconnects by itself.
    /// </summary>
    public async Task<IAsyncDisposable> CutReplicationAsync(int replicaPort)
    {
        var replica = Connection.GetServer(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, replicaPort));
        await replica.ExecuteAsync("CONFIG", "SET", "masterauth", "not-the-password");
        await replica.ExecuteAsync("CLIENT", "KILL", "TYPE", "master");
        return new Frozen(async () =>
        {
            // The member may be gone by then (a test killed it): nothing to heal there.
            if (!_processes[Ports.ToList().IndexOf(replicaPort)].HasExited)
            {
                await replica.ExecuteAsync("CONFIG", "SET", "masterauth", "");
            }
        });
    }

    private static async Task SignalAsync(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, kill.ExitCode);
    }

    private sealed class Frozen(Func<Task> thaw) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await thaw();
    }

    public static async Task<RedisCluster> StartAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Path.Combine(Path.GetTempPath(), "distsync-tests", $"redis-cluster-{Guid.NewGuid():n}");
        var processes = new List<Process>();
        var arguments = new List<string[]>();
        try
        {
            // The cluster bus port is named too: Redis's default (port + 10000) would land in the OS's ephemeral range.
            var ports = Enumerable.Range(0, Size).Select(_ => (Client: AppHostProcess.FreePort(), Bus: AppHostProcess.FreePort())).ToList();
            foreach (var (client, bus) in ports)
            {
                var nodeDir = Path.Combine(dir, client.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(nodeDir);
                arguments.Add(["--port", $"{client}", "--cluster-port", $"{bus}", "--bind", "127.0.0.1", "--dir", nodeDir, "--save", "",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--appendonly", "yes", "--appendfsync", "always"]);
                processes.Add(Start("redis-server", arguments[^1]));
            }

            var endpoints = ports.Select(p => $"127.0.0.1:{p.Client}").ToList();
            foreach (var endpoint in endpoints)
            {
                await using var node = await ConnectAsync(endpoint, processes, ct);
            }

            using var create = Start("redis-cli", ["--cluster", "create", .. endpoints, "--cluster-replicas", "1", "--cluster-yes"]);
            var output = create.StandardOutput.ReadToEndAsync(ct);
            await create.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.True(create.ExitCode == 0, $"redis-cli --cluster create exited with {create.ExitCode}: {await output}");

            await using (var probe = await ConnectAsync(string.Join(",", endpoints), processes, ct))
            {
                await Eventually.UntilAsync(async () => (await Task.WhenAll(probe.GetServers().Select(IsServingAllSlotsAsync))).All(ok => ok),
                    TimeSpan.FromSeconds(30), "every node of the Redis Cluster reports cluster_state:ok with all 16384 slots served");
            }

            // Connected once formed, so the client's first view of the topology already has the replicas as replicas.
            var connection = await ConnectAsync(string.Join(",", endpoints), processes, ct);
            Assert.All(connection.GetServers(), s => Assert.Equal(ServerType.Cluster, s.ServerType));
            Assert.Equal(3, connection.GetServers().Count(s => !s.IsReplica));
            return new RedisCluster(processes, arguments, dir, [.. ports.Select(p => p.Client)], connection);
        }
        catch
        {
            Stop(processes);
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        Stop(_processes);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>What <c>CLUSTER INFO</c> on <paramref name="server"/> says: serving, with every slot assigned and reachable.</summary>
    public static async Task<bool> IsServingAllSlotsAsync(IServer server)
    {
        var info = (string?)await server.ExecuteAsync("CLUSTER", "INFO") ?? "";
        return info.Contains("cluster_state:ok", StringComparison.Ordinal) && info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal);
    }

    private static Process Start(string command, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync();
        if (command != "redis-cli")
        {
            _ = process.StandardOutput.ReadToEndAsync();
        }

        return process;
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string endpoints, List<Process> processes, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var connection = await ConnectionMultiplexer.ConnectAsync($"{endpoints},abortConnect=true,connectTimeout=1000,allowAdmin=true");
                await connection.GetDatabase().PingAsync();
                return connection;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && processes.All(p => !p.HasExited))
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private static void Stop(List<Process> processes)
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}
