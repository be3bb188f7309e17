using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DistSync.LoadTests.Cli;
using Microsoft.Extensions.Hosting;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The yardstick for a cache hit: a bare ASP.NET Core endpoint (<c>GET /</c> answering a JSON body as long as a hit's
/// answer), in a process of its own on this machine, as the nodes are. With telemetry on it traces and measures its
/// requests as a node does (the nodes' OpenTelemetry setup, exporting when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set),
/// so a hit is measured against an endpoint that does what every endpoint of the app does and nothing else: what a
/// hit costs beyond is its route, auth, limits, the L1 lookup and its JSON.
/// </summary>
public static class BareServer
{
    public const string Command = "bare-server";

    /// <summary>The command the child runs: <c>bare-server --port N --body-bytes B --telemetry on|off</c>.</summary>
    public static async Task<int> RunAsync(Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var options = CommandLine.Parse(invocation.Arguments);
        await RunAsync(options.Int("port", 0), options.Int("body-bytes", 24), options.Choice("telemetry", "off", "on", "off") == "on");
        return 0;
    }

    /// <summary>Runs the server in this process (the child's side) until <paramref name="stop"/>.</summary>
    public static async Task RunAsync(int port, int bodyBytes, bool telemetry, CancellationToken stop = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (telemetry)
        {
            builder.ConfigureOpenTelemetry();
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var body = Body(bodyBytes);
        app.MapGet("/", () => Results.Text(body, "application/json"));
        await app.RunAsync(stop);
    }

    /// <summary>A JSON object of exactly <paramref name="bytes"/> bytes (at least the 24 of its fixed part).</summary>
    internal static string Body(int bytes) => $"{{\"status\":\"ok\",\"pad\":\"{new string('x', Math.Max(0, bytes - 24))}\"}}";

    /// <summary>Starts the server as a child process on a free port; disposing the handle stops it.</summary>
    public static async Task<Handle> StartAsync(int bodyBytes, bool telemetry)
    {
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo(Environment.ProcessPath!,
            [Command, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--body-bytes", bodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--telemetry", telemetry ? "on" : "off"])
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

    internal static int FreePort()
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
