using System.Diagnostics;
using StackExchange.Redis;

namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A real Redis-compatible server for tests that talk to Redis directly: <c>redis-server</c> or Garnet (from the
/// repo's tool manifest), started the way the AppHost starts it, on a free loopback port, stopped and deleted after.
/// </summary>
public sealed class RedisServer : ITestRedis
{
    private readonly Process _process;
    private readonly string _dir;

    private RedisServer(Process process, string dir, int port, ConnectionMultiplexer connection)
    {
        _process = process;
        _dir = dir;
        Port = port;
        Connection = connection;
    }

    public int Port { get; }

    public ConnectionMultiplexer Connection { get; }

    /// <summary>Freezes the server (SIGSTOP): commands sent meanwhile wait, and run when it is <see cref="Resume"/>d.</summary>
    public void Pause() => Signal("-STOP");

    public void Resume() => Signal("-CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public static async Task<RedisServer> StartAsync(string kind)
    {
        var port = AppHostProcess.FreePort();
        var dir = Path.Combine(Path.GetTempPath(), "distsync-tests", $"redis-{Guid.NewGuid():n}");
        Directory.CreateDirectory(dir);
        var p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var info = kind switch
        {
            "redis-server" => new ProcessStartInfo("redis-server", ["--port", p, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"]),
            "garnet" => new ProcessStartInfo("dotnet", ["tool", "run", "garnet-server", "--", "--port", p, "--bind", "127.0.0.1", "--lua", "--memory", "128m",
                "--device-type", "RandomAccess", "--aof", "--aof-commit-wait", "--checkpointdir", dir]) { WorkingDirectory = RepoRoot() },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "redis-server or garnet"),
        };
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=true,connectTimeout=1000");
                await connection.GetDatabase().PingAsync();
                return new RedisServer(process, dir, port, connection);
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string RepoRoot() => AppHostProcess.RepoRoot;
}
