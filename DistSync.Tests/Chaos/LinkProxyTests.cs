using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DistSync.LoadTests.Chaos.Nemesis;

namespace DistSync.Tests.Chaos;

/// <summary>The proxy on a link, over real sockets on loopback: it passes bytes, cuts open and new connections, heals, and slows.</summary>
public sealed class LinkProxyTests : IAsyncDisposable
{
    private readonly TcpListener _echo = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public LinkProxyTests()
    {
        _echo.Start();
        _ = EchoAsync();
    }

    private IPEndPoint EchoEndPoint => (IPEndPoint)_echo.LocalEndpoint;

    private async Task EchoAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _echo.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                var buffer = new byte[1024];
                try
                {
                    int read;
                    while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                    {
                        await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // The test is done with it.
                }
                finally
                {
                    socket.Dispose();
                }
            });
        }
    }

    private static async Task<Socket> ConnectAsync(LinkProxy proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, proxy.Port, TestContext.Current.CancellationToken);
        return socket;
    }

    /// <summary>Sends a line and reads it back; throws when the link fails it.</summary>
    private static async Task<string> RoundTripAsync(Socket socket, string text)
    {
        var ct = TestContext.Current.CancellationToken;
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(text), SocketFlags.None, ct);
        var buffer = new byte[1024];
        var received = "";
        while (received.Length < text.Length)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            received += System.Text.Encoding.ASCII.GetString(buffer, 0, read);
        }

        return received;
    }

    [Fact]
    public async Task Proxy_PassesBytes_CutResetsOpenAndNewConnections_HealLetsNewOnesThrough()
    {
        await using var proxy = new LinkProxy("node1", "node2", EchoEndPoint);
        using var open = await ConnectAsync(proxy);
        Assert.Equal("hello", await RoundTripAsync(open, "hello"));

        proxy.Cut();

        await Assert.ThrowsAnyAsync<SocketException>(() => RoundTripAsync(open, "after the cut"));
        // A new connection is reset as soon as it is accepted: at the connect already, or at its first round trip.
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var fresh = await ConnectAsync(proxy);
            await RoundTripAsync(fresh, "during the cut");
        });

        proxy.Heal();
        using var healed = await ConnectAsync(proxy);
        Assert.Equal("healed", await RoundTripAsync(healed, "healed"));
    }

    [Fact]
    public async Task Proxy_WithLatency_HoldsEachRequestAtLeastThatLong()
    {
        await using var proxy = new LinkProxy("node1", "node2", EchoEndPoint);
        using var socket = await ConnectAsync(proxy);
        await RoundTripAsync(socket, "warm");

        proxy.Latency = TimeSpan.FromMilliseconds(150);
        var clock = Stopwatch.StartNew();
        Assert.Equal("slow", await RoundTripAsync(socket, "slow"));

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"took {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Proxy_ToANodeThatIsDown_ResetsTheConnection()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var proxy = new LinkProxy("node1", "node2", new IPEndPoint(IPAddress.Loopback, port));

        // The proxy accepts and resets at once: the reset may already meet the connect, or else the first send or read.
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var socket = await ConnectAsync(proxy);
            await RoundTripAsync(socket, "anyone?");
        });
    }

    [Fact]
    public async Task Mesh_Partitions_CutExactlyTheLinksBetweenSides()
    {
        var port = EchoEndPoint.Port;
        await using var mesh = ProxyMesh.Create(new Dictionary<string, int> { ["node1"] = port, ["node2"] = port, ["node3"] = port });
        string Cuts() => string.Join(",", mesh.Links.Where(l => l.IsCut).Select(l => $"{l.From[^1]}{l.To[^1]}"));

        Assert.Equal(6, mesh.Links.Count);
        Assert.Contains("--DistSync:PeerLinks:node1:node2=http://127.0.0.1:" + mesh.Link("node1", "node2").Port, mesh.AppHostArguments());

        mesh.Isolate("node2");
        Assert.Equal("12,21,23,32", Cuts());
        mesh.Heal();
        Assert.Equal("", Cuts());
        mesh.Bridge("node2");
        Assert.Equal("13,31", Cuts());
        mesh.Heal();
        mesh.Partition(["node1"], ["node2", "node3"]);
        Assert.Equal("12,13,21,31", Cuts());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _echo.Stop();
        _stop.Dispose();
    }
}
