using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DistSync.LoadTests.Cli;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The yardstick for a cache hit: a bare ASP.NET Core endpoint (<c>GET /</c> answering a short JSON body), in a
/// process of its own on this machine, as the nodes are. A hit does no more I/O than this does; what it costs beyond
/// is routing, the L1 lookup, JSON and telemetry.
/// </summary>
public static class BareServer
{
    public const string Command = "bare-server";

    /// <summary>The command the child runs: <c>bare-server --port N</c>.</summary>
    public static async Task<int> RunAsync(Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        await RunAsync(CommandLine.Parse(invocation.Arguments).Int("port", 0));
        return 0;
    }

    /// <summary>Runs the server in this process (the child's side).</summary>
    public static async Task RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/", () => Results.Text("{\"status\":\"ok\"}", "application/json"));
        await app.RunAsync();
    }

    /// <summary>Starts the server as a child process on a free port; disposing the handle stops it.</summary>
    public static async Task<Handle> StartAsync()
    {
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [Command, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient();
        for (var i = 0; ; i++)
        {
            try
            {
                (await http.GetAsync(url)).EnsureSuccessStatusCode();
                return new Handle(process, url);
            }
            catch (HttpRequestException) when (i < 100 && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public sealed class Handle(Process process, Uri url) : IDisposable
    {
        public Uri Url { get; } = url;

        public void Dispose()
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
