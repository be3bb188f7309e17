using System.Net;
using System.Net.Sockets;

namespace DistSync.LoadTests.Cluster;

/// <summary>
/// Free loopback ports for the servers the tool starts, below Linux's ephemeral range (32768 and up), where the OS hands
/// out ports to clients and to servers asking for "any port".
/// </summary>
public static class LoopbackPorts
{
    /// <summary><paramref name="count"/> distinct ports that are free right now.</summary>
    public static IReadOnlyList<int> Take(int count)
    {
        var ports = new HashSet<int>();
        for (var attempt = 0; ports.Count < count && attempt < 1_000; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            if (IsFree(port))
            {
                ports.Add(port);
            }
        }

        return ports.Count == count ? [.. ports] : throw new InvalidOperationException($"found no {count} free loopback ports between 20000 and 32000.");
    }

    /// <summary>The first of <paramref name="count"/> consecutive ports that are all free right now.</summary>
    public static int TakeRange(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(20_000, 32_000);
            if (Enumerable.Range(first, count).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"found no {count} consecutive free ports between 20000 and 32000.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
