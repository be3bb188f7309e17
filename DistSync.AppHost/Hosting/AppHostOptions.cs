using System.Globalization;

namespace DistSync.AppHost.Hosting;

/// <summary>What the AppHost starts and how; every field has a command-line option.</summary>
public sealed record AppHostOptions
{
    public static readonly int[] AllowedNodeCounts = [1, 3, 5, 7];

    /// <summary>How many nodes (1, 3, 5 or 7): odd, so a majority always exists.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>node1 listens on this port, node2 on the next, …; 0 picks free ports (tests).</summary>
    public int BasePort { get; init; } = 8001;

    /// <summary>Redis's port; 0 picks a free one.</summary>
    public int RedisPort { get; init; }

    /// <summary>An existing Redis to use instead of starting one.</summary>
    public string? RedisConnectionString { get; init; }

    /// <summary>Which server to start: null picks redis-server when on PATH, else Garnet.</summary>
    public RedisServerKind? RedisServer { get; init; }

    /// <summary>Raft logs, snapshots and Redis's append-only file live under here.</summary>
    public string DataDir { get; init; } = ".data";

    /// <summary>Wipe <see cref="DataDir"/> before starting.</summary>
    public bool Clean { get; init; }

    /// <summary>Restart a crashed resource with exponential backoff (1 s … 30 s).</summary>
    public bool RestartOnCrash { get; init; } = true;

    /// <summary>Print every resource's console output, prefixed with its name.</summary>
    public bool EchoConsole { get; init; } = true;

    /// <summary>How long start-up may take before the AppHost gives up.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Host the observability dashboard and have every node export OTLP to it.</summary>
    public bool Dashboard { get; init; } = true;

    /// <summary>Require the browser token (printed at start-up) to open the dashboard.</summary>
    public bool DashboardAuth { get; init; } = true;

    /// <summary>Dashboard UI port (Aspire's default); 0 picks a free one.</summary>
    public int DashboardPort { get; init; } = 18888;

    /// <summary>OTLP/gRPC receiver port; 0 picks a free one.</summary>
    public int OtlpGrpcPort { get; init; } = 18889;

    /// <summary>OTLP/HTTP receiver port; 0 picks a free one.</summary>
    public int OtlpHttpPort { get; init; } = 18890;

    /// <summary>Telemetry the dashboard keeps in memory (oldest dropped first).</summary>
    public int MaxLogRecords { get; init; } = 10_000;

    public int MaxTraces { get; init; } = 10_000;

    public int MaxMetricPoints { get; init; } = 50_000;

    /// <summary>Extra environment for every node (tests tune timeouts this way).</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>();

    public const string Usage = """
        Usage: dotnet run --project DistSync.AppHost -- [options]

          --nodes N            number of nodes: 1, 3, 5 or 7 (default 3)
          --base-port P        node1 listens on P, node2 on P+1, ... (default 8001)
          --redis CONN         use an existing Redis (e.g. "127.0.0.1:6379,password=x") instead of starting one
          --redis-server KIND  redis-server or garnet (default: redis-server when on PATH, else garnet)
          --redis-port P       port for the Redis the AppHost starts (default: a free port)
          --data-dir DIR       where Raft logs and Redis data live (default .data)
          --clean              delete the data directory first
          --no-restart         do not restart a crashed resource
          --quiet              do not echo the resources' console output
          --dashboard-port P   dashboard UI port (default 18888); OTLP/gRPC on --otlp-grpc-port (18889),
                               OTLP/HTTP on --otlp-http-port (18890)
          --no-dashboard       run without the dashboard (nodes export no telemetry)
          --no-auth            open the dashboard without the browser token (local use only)
          --max-logs N         log records the dashboard keeps (default 10000; oldest dropped first)
          --max-traces N       traces the dashboard keeps (default 10000)
          --max-metric-points N  metric points the dashboard keeps (default 50000)
          --help               show this text
        """;

    /// <summary>Reads the command line; a bad option throws an <see cref="AppHostException"/> that says what to do.</summary>
    public static AppHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AppHostOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new AppHostException($"Option {arg} needs a value. Run with --help for the options.");
                }

                return args[++i];
            }

            int Port(int min)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port >= min && port <= 65535
                    ? port
                    : throw new AppHostException($"Option {arg} takes a port number from {min} to 65535, not '{text}'.");
            }

            int Count()
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000_000
                    ? n
                    : throw new AppHostException($"Option {arg} takes a whole number from 1 to 10000000, not '{text}'.");
            }

            options = arg switch
            {
                "--nodes" => options with { Nodes = ParseNodes(Value()) },
                "--base-port" => options with { BasePort = Port(1) },
                "--redis-port" => options with { RedisPort = Port(1) },
                "--redis" => options with { RedisConnectionString = Value() },
                "--redis-server" => options with { RedisServer = ParseServer(Value()) },
                "--data-dir" => options with { DataDir = Value() },
                "--clean" => options with { Clean = true },
                "--no-restart" => options with { RestartOnCrash = false },
                "--quiet" => options with { EchoConsole = false },
                "--dashboard-port" => options with { DashboardPort = Port(1) },
                "--otlp-grpc-port" => options with { OtlpGrpcPort = Port(1) },
                "--otlp-http-port" => options with { OtlpHttpPort = Port(1) },
                "--no-dashboard" => options with { Dashboard = false },
                "--no-auth" => options with { DashboardAuth = false },
                "--max-logs" => options with { MaxLogRecords = Count() },
                "--max-traces" => options with { MaxTraces = Count() },
                "--max-metric-points" => options with { MaxMetricPoints = Count() },
                "--help" or "-h" => throw new HelpRequestedException(),
                _ => throw new AppHostException($"Unknown option '{arg}'. Run with --help for the options."),
            };
        }

        if (options.BasePort + options.Nodes - 1 > 65535)
        {
            throw new AppHostException($"--base-port {options.BasePort} leaves no room for {options.Nodes} nodes below port 65535.");
        }

        return options;
    }

    private static int ParseNodes(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && AllowedNodeCounts.Contains(n)
            ? n
            : throw new AppHostException($"--nodes must be 1, 3, 5 or 7 (an odd number, so a majority exists), not '{text}'.");

    private static RedisServerKind ParseServer(string text) => text switch
    {
        "redis-server" or "redis" => RedisServerKind.RedisServer,
        "garnet" => RedisServerKind.Garnet,
        _ => throw new AppHostException($"--redis-server must be 'redis-server' or 'garnet', not '{text}'."),
    };
}

/// <summary>The user asked for --help.</summary>
public sealed class HelpRequestedException : Exception;
