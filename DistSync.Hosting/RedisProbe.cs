using System.Net.Sockets;
using System.Text;

namespace DistSync.Hosting;

/// <summary>
/// One command to a local Redis over a plain socket, after AUTH: what the AppHost's health checks and the cluster's
/// formation ask (PING, CLUSTER INFO), without a client library. Answers a simple or bulk string; throws on an error.
/// </summary>
internal static class RedisProbe
{
    public static async Task<string> AskAsync(int port, string password, string[] command, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(Encode(["AUTH", password]) + Encode(command)), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var auth = await reader.ReadLineAsync(timeout.Token);
        if (auth != "+OK")
        {
            throw new IOException($"AUTH answered {auth}");
        }

        var head = await reader.ReadLineAsync(timeout.Token) ?? throw new IOException("The connection closed before an answer.");
        switch (head[0])
        {
            case '+':
                return head[1..];
            case '$':
                // A bulk string of n bytes (CLUSTER INFO's are ASCII lines): read lines until they add up to n.
                var length = int.Parse(head.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                var text = new StringBuilder();
                while (Encoding.UTF8.GetByteCount(text.ToString()) < length && await reader.ReadLineAsync(timeout.Token) is { } line)
                {
                    text.Append(line).Append("\r\n");
                }

                return text.ToString();
            default:
                throw new IOException($"Unexpected answer: {head}");
        }
    }

    private static string Encode(string[] parts) =>
        $"*{parts.Length}\r\n" + string.Concat(parts.Select(p => $"${Encoding.UTF8.GetByteCount(p)}\r\n{p}\r\n"));
}
