using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DistSync.LoadTests.Chaos.Nemesis;

/// <summary>
/// A TCP proxy on one directed link between two nodes (<c>from</c>'s connections to <c>to</c>), which the harness can
/// cut or slow. Proxies rather than network namespaces: they need no root and no kernel setup, work the same on every
/// machine and in CI, and act on exactly one direction of one link (a namespace cuts a node from everyone at once).
/// <list type="bullet">
/// <item><see cref="Cut"/> resets every open connection and resets each new one as soon as it is accepted, so the
/// sender sees its connection fail at once, as after a partition that a router reports;</item>
/// <item><see cref="Latency"/> holds each chunk the sender writes that long before passing it on (answers flow back
/// at once), so every request on the link takes that much longer.</item>
/// </list>
/// </summary>
public sealed class LinkProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<long, (Socket Client, Socket Server)> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _next;
    private volatile bool _cut;
    private long _latencyTicks;

    public LinkProxy(string from, string to, IPEndPoint target, int port = 0)
    {
        From = from;
        To = to;
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start(backlog: 512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public string From { get; }

    public string To { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public bool IsCut => _cut;

    /// <summary>Connections open through the proxy now.</summary>
    public int OpenConnections => _open.Count;

    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, Math.Max(0, value.Ticks));
    }

    public void Cut()
    {
        _cut = true;
        foreach (var (id, pair) in _open)
        {
            Reset(pair.Client);
            Reset(pair.Server);
            _open.TryRemove(id, out _);
        }
    }

    public void Heal() => _cut = false;

    public override string ToString() => $"{From}->{To} :{Port}{(_cut ? " cut" : "")}{(Latency > TimeSpan.Zero ? $" +{Latency.TotalMilliseconds:F0} ms" : "")}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_cut)
            {
                Reset(client);
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var id = Interlocked.Increment(ref _next);
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Reset(client); // the node behind the link is down: so is the link
            server.Dispose();
            return;
        }

        _open[id] = (client, server);
        if (_cut)
        {
            Cut(); // cut while connecting
            return;
        }

        await Task.WhenAny(PumpAsync(client, server, delayed: true), PumpAsync(server, client, delayed: false));
        if (_open.TryRemove(id, out _))
        {
            Reset(client);
            Reset(server);
        }
    }

    private async Task PumpAsync(Socket source, Socket destination, bool delayed)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await source.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    destination.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (delayed && Latency is { Ticks: > 0 } latency)
                {
                    // At least that long by the stopwatch: a timer may fire a fraction of a millisecond early.
                    var received = Stopwatch.GetTimestamp();
                    for (var left = latency; left > TimeSpan.Zero; left = latency - Stopwatch.GetElapsedTime(received))
                    {
                        await Task.Delay(left + TimeSpan.FromMilliseconds(1), _stop.Token);
                    }
                }

                if (_cut)
                {
                    return;
                }

                await destination.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Reset by the other side, by a cut, or the proxy is stopping.
        }
    }

    /// <summary>Close with RST rather than FIN (linger 0), as a dropped link looks to both ends.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }
}
