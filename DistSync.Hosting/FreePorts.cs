using System.Net;
using System.Net.Sockets;

namespace DistSync.Hosting;

/// <summary>
/// Loopback ports the OS calls free now and this process has not handed out before, taken below Linux's ephemeral range
/// (32768 and up): a port there, once released, can be handed by the OS to any outgoing connection before the server it
/// was chosen for binds it.
/// </summary>
internal static class FreePorts
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Handed = [];

    public static bool IsFree(int port)
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

    /// <summary>A port chosen earlier (kept in a data folder) that no <see cref="Take"/> of this process may hand out.</summary>
    public static void Reserve(int port)
    {
        lock (Gate)
        {
            Handed.Add(port);
        }
    }

    public static int Take()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(20_000, 32_000);
                if (!Handed.Contains(port) && IsFree(port))
                {
                    Handed.Add(port);
                    return port;
                }
            }

            throw new InvalidOperationException("No free loopback port found in 100 attempts.");
        }
    }
}
