using System.Net.Sockets;
using System.Text;

namespace DistSync.AppHost.Hosting;

/// <summary>Which server a <see cref="RedisResource"/> runs, or an existing one it only points at.</summary>
public enum RedisServerKind
{
    /// <summary><c>redis-server</c> from PATH (Debian package <c>redis-server</c>).</summary>
    RedisServer,

    /// <summary>Microsoft Garnet, through the repo's local dotnet tool manifest.</summary>
    Garnet,

    /// <summary>A Redis the user runs; the AppHost starts nothing.</summary>
    External,
}

/// <summary>Redis: started with a generated password and append-only persistence, or an existing one.</summary>
public sealed class RedisResource(string name, RedisServerKind kind, string password, string? externalConnectionString, string toolManifestDir)
    : Resource(name)
{
    public override string Type => "redis";

    public RedisServerKind Kind { get; } = kind;

    public string Password { get; } = password;

    public string ConnectionString => externalConnectionString ?? $"127.0.0.1:{Port},password={Password}";

    public override string Endpoint => Kind == RedisServerKind.External ? ConnectionString.Split(',')[0] : $"tcp://127.0.0.1:{Port}";

    public override IEnumerable<KeyValuePair<string, string>> ReferenceEnvironment()
    {
        yield return new($"ConnectionStrings__{Name}", ConnectionString);
    }

    public override ProcessLaunch CreateLaunch() => Kind switch
    {
        RedisServerKind.RedisServer => new ProcessLaunch("redis-server",
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--requirepass", Password, "--dir", DataDir, "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--protected-mode", "yes", "--daemonize", "no",
        ], DataDir),
        RedisServerKind.Garnet => new ProcessLaunch("dotnet",
        [
            "tool", "run", "garnet-server", "--",
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--auth", "Password", "--password", Password, "--aof", "--lua",
            "--checkpointdir", DataDir,
            "--memory", "256m",
        ], toolManifestDir),
        _ => throw new InvalidOperationException("An external Redis is not started by the AppHost."),
    };

    /// <summary>AUTH + PING over a raw socket: healthy when the server answers +PONG.</summary>
    public override async Task<bool> IsHealthyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        if (Kind == RedisServerKind.External)
        {
            return true;
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
            var stream = client.GetStream();
            var request = $"*2\r\n$4\r\nAUTH\r\n${Encoding.UTF8.GetByteCount(Password)}\r\n{Password}\r\n*1\r\n$4\r\nPING\r\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request), cancellationToken);
            var buffer = new byte[256];
            var received = new StringBuilder();
            while (!received.ToString().Contains("PONG", StringComparison.Ordinal) && received.Length < 256)
            {
                var n = await stream.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    break;
                }

                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }

            return received.ToString().Contains("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }
}
