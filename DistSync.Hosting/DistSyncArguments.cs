namespace DistSync.Hosting;

/// <summary>
/// Short command-line forms for the <c>DistSync</c> settings (<c>--nodes 5</c> for <c>--DistSync:Nodes=5</c>), so
/// the common ones read like any tool's options. Everything else (Aspire's own <c>--publisher</c>, long forms)
/// passes through unchanged.
/// </summary>
public static class DistSyncArguments
{
    private static readonly Dictionary<string, string> Valued = new(StringComparer.Ordinal)
    {
        ["--nodes"] = "Nodes",
        ["--spare-nodes"] = "SpareNodes",
        ["--base-port"] = "BasePort",
        ["--redis"] = "Redis",
        ["--redis-port"] = "RedisPort",
        ["--data-dir"] = "DataDir",
        ["--log-dir"] = "LogDir",
        ["--restore"] = "Restore",
    };

    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["--clean"] = "Clean=true",
        ["--no-restart"] = "RestartOnCrash=false",
        ["--no-dashboard"] = "Dashboard=false",
        ["--no-auth"] = "AuthOff=true",
        ["--no-sample"] = "Sample=false",
    };

    public const string Usage = """
        Usage: dotnet run --project DistSync.AppHost -- [options]

          --nodes N          number of nodes: 1, 3, 5 or 7 (default 3); more than an existing cluster has
                             adds the new ones as members, one at a time
          --spare-nodes N    nodes declared but started only by the cluster's Add node command (default 2)
          --base-port P      node1 listens on P, node2 on P+1, ... (default 8001; 0 = free ports)
          --redis KIND       auto (default: redis-server if on PATH, else garnet), redis-server, garnet,
                             cluster (a Redis Cluster of six redis-server processes: 3 primaries, 3 replicas),
                             container (Aspire's Redis container; needs Docker/Podman) or external
                             (uses ConnectionStrings:redis, e.g. --ConnectionStrings:redis=host:6379,password=x;
                             a cluster's: h1:p1,h2:p2,...,password=x)
          --redis-port P     port of the Redis the AppHost starts (default: a free port)
          --data-dir DIR     Raft logs and Redis data (default: DistSync.AppHost/.data)
          --log-dir DIR      also write each resource's console output to DIR/<resource>.log
          --clean            delete the data directory first
          --restore FILE     found the cluster from a backup (GET /admin/snapshot); the data directory must
                             hold no cluster (add --clean to empty it first)
          --no-restart       do not restart a node (or the local Redis) that crashes or is killed
          --no-dashboard     run without the Aspire dashboard (nodes then export no telemetry)
          --no-auth          run the nodes without client tokens (development only; they warn at start)
          --no-sample        do not start the sample app (an order processor using DistSync.Client)

        Every setting also has a long form (--DistSync:Nodes=5) and an environment form (DistSync__Nodes=5).
        """;

    public static bool WantsHelp(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h" or "-?");

    public static string[] Expand(IReadOnlyList<string> args)
    {
        var expanded = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = Split(args[i]);
            if (Valued.TryGetValue(name, out var key))
            {
                var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new DistSyncConfigurationException($"Option {name} needs a value (see --help)."));
                expanded.Add($"--{DistSyncOptions.SectionName}:{key}={value}");
            }
            else if (inline is null && Flags.TryGetValue(name, out var setting))
            {
                expanded.Add($"--{DistSyncOptions.SectionName}:{setting}");
            }
            else
            {
                expanded.Add(args[i]);
            }
        }

        return [.. expanded];
    }

    private static (string Name, string? Value) Split(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (arg, null) : (arg[..equals], arg[(equals + 1)..]);
    }
}
