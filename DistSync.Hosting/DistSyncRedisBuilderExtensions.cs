using DistSync.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// <c>AddDistSyncRedis</c>: the Redis every node uses for queue messages and cache memory. In run mode a local
/// <c>redis-server</c> or Garnet process (for machines without a container runtime); on request, Aspire's container; in
/// publish mode always Aspire's container with a data volume, so the manifest describes what Azure Container Apps runs.
/// </summary>
public static class DistSyncRedisBuilderExtensions
{
    /// <summary>Adds the Redis DistSync's nodes use, as <paramref name="options"/> (by default the <c>DistSync</c> settings) choose.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDistSyncRedis(this IDistributedApplicationBuilder builder, [ResourceName] string name, DistSyncOptions? options = null)
    {
        options ??= DistSyncOptions.Read(builder.Configuration);
        var password = builder.AddParameter($"{name}-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);
        if (builder.ExecutionContext.IsPublishMode || options.Redis == RedisKind.Container)
        {
            return builder.AddRedis(name, port: null, password).WithDataVolume().WithArgs(AppendOnlyAlways);
        }

        if (options.Redis == RedisKind.External)
        {
            return builder.AddConnectionString(name);
        }

        if (options.Redis == RedisKind.Cluster)
        {
            return builder.AddRedisCluster(name, options, password);
        }

        var kind = options.Redis == RedisKind.Auto ? (OnPath("redis-server") ? RedisKind.RedisServer : RedisKind.Garnet) : options.Redis;
        var dataDir = Path.Combine(options.ResolveDataDir(builder.AppHostDirectory), name);
        var port = options.RedisPort > 0 ? options.RedisPort : FreePorts.Take();
        if (options.RedisPort > 0 && !FreePorts.IsFree(port))
        {
            throw new DistSyncConfigurationException($"Port {port} (redis) is already in use: pick another with --redis-port, or --redis external to use the Redis that holds it.");
        }
        var redis = kind == RedisKind.RedisServer
            ? builder.AddResource(new RedisServerResource(name, "redis-server", dataDir, password.Resource))
                .WithArgs(context => context.Args.Add(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                    "--requirepass", password.Resource, "--dir", dataDir, "--protected-mode", "yes", "--daemonize", "no", "--save", "",
                    // Every write reaches the disk before Redis answers: an acknowledged publish survives a crash.
                    "--appendonly", "yes", "--appendfsync", "always"]))
            : builder.AddResource(new RedisServerResource(name, "dotnet", GarnetTool.ManifestDirectory(builder.AppHostDirectory), password.Resource))
                .WithArgs(context => context.Args.Add(["tool", "run", "garnet-server", "--",
                    "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                    "--auth", "Password", "--password", password.Resource, "--lua", "--memory", "256m",
                    // The managed file device: the native one needs libaio, which Debian 12 lacks.
                    "--device-type", "RandomAccess",
                    // Garnet's equivalent of appendfsync always: answer only once the AOF commit is flushed; recover it on start.
                    "--aof", "--aof-commit-wait", "--recover", "--checkpointdir", dataDir]));
        // At start, not now: a Redis that AddDistSync made and WithRedis replaced leaves nothing behind.
        redis.OnBeforeResourceStarted((_, _, _) =>
        {
            Directory.CreateDirectory(dataDir);
            if (kind == RedisKind.Garnet)
            {
                GarnetTool.Restore(builder.AppHostDirectory);
            }

            return Task.CompletedTask;
        });

        builder.AddRedisHealthCheck(redis);
        if (options.RestartOnCrash)
        {
            redis.WithAnnotation(new RestartOnCrashAnnotation()); // a killed redis-server comes back from its append-only file
        }

        return redis
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: RedisServerResource.EndpointName, isProxied: false)
            .WithIconName("Database");
    }

    /// <summary>
    /// A Redis Cluster of <see cref="RedisClusterResource.Size"/> local <c>redis-server</c> processes, each with its own data
    /// folder and the single server's durability (each process fsyncs its append-only file; replication to the replicas
    /// is asynchronous), formed on its first start (<see cref="RedisClusterFormation"/>). Its ports are kept in the data
    /// folder: a restarted member finds the others at the addresses its <c>nodes.conf</c> names, or not at all.
    /// </summary>
    private static IResourceBuilder<IResourceWithConnectionString> AddRedisCluster(this IDistributedApplicationBuilder builder, string name,
        DistSyncOptions options, IResourceBuilder<ParameterResource> password)
    {
        var dataDir = Path.Combine(options.ResolveDataDir(builder.AppHostDirectory), name);
        // With --clean the folder is emptied later (AddDistSync), so its old ports do not count.
        var ports = ClusterPorts(dataDir, options.Clean);
        var cluster = new RedisClusterResource(name, password.Resource);
        var clusterBuilder = builder.AddResource(cluster)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = RedisClusterResource.ResourceType, State = KnownResourceStates.NotStarted, Properties = [] })
            .WithIconName("DatabaseMultiple")
            .OnInitializeResource((resource, initialize, ct) => RedisClusterFormation.RunAsync(resource, initialize, ct));
        for (var i = 0; i < RedisClusterResource.Size; i++)
        {
            var (port, busPort) = ports[i];
            var memberDir = Path.Combine(dataDir, $"{i + 1}");
            var member = builder.AddResource(new RedisServerResource($"{name}-{i + 1}", "redis-server", memberDir, password.Resource))
                .WithArgs(context => context.Args.Add(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                    "--requirepass", password.Resource, "--masterauth", password.Resource, "--dir", memberDir, "--protected-mode", "yes", "--daemonize", "no", "--save", "",
                    // The bus port named too: Redis's default, port + 10000, would fall in the OS's ephemeral range (see FreePorts).
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", busPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cluster-node-timeout", "2000",
                    // A replica's full sync starts at once, not after Redis's default 5 s (kept to gather more replicas): until it ends no write is answered.
                    "--appendonly", "yes", "--appendfsync", "always", "--repl-diskless-sync-delay", "0"]))
                .OnBeforeResourceStarted((_, _, _) =>
                {
                    Directory.CreateDirectory(memberDir);
                    File.WriteAllLines(Path.Combine(dataDir, PortsFile), ports.Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Port} {p.BusPort}")));
                    return Task.CompletedTask;
                });
            builder.AddRedisHealthCheck(member);
            if (options.RestartOnCrash)
            {
                member.WithAnnotation(new RestartOnCrashAnnotation());
            }

            member.WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: RedisServerResource.EndpointName, isProxied: false)
                .WithIconName("Database")
                .WithParentRelationship(cluster);
            cluster.Members.Add(member.Resource);
        }

        var healthCheck = $"{name}-cluster";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck,
            _ => new RedisClusterFormation.HealthCheck(cluster), failureStatus: HealthStatus.Unhealthy, tags: null));
        return clusterBuilder.WithHealthCheck(healthCheck);
    }

    private const string PortsFile = "ports";

    /// <summary>The ports of an earlier start (client and bus port per member), or free ones for a new cluster.</summary>
    private static (int Port, int BusPort)[] ClusterPorts(string dataDir, bool clean)
    {
        var file = Path.Combine(dataDir, PortsFile);
        if (clean || !File.Exists(file))
        {
            return [.. Enumerable.Range(0, RedisClusterResource.Size).Select(_ => (FreePorts.Take(), FreePorts.Take()))];
        }

        var ports = File.ReadAllLines(file).Select(l => l.Split(' ')).Select(p => (int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        foreach (var port in ports.SelectMany(p => new[] { p.Item1, p.Item2 }))
        {
            if (!FreePorts.IsFree(port))
            {
                throw new DistSyncConfigurationException($"Port {port} of the Redis Cluster in {dataDir} is in use (is another AppHost running?): a member can only come back on its own ports; free it, or start again with --clean.");
            }

            FreePorts.Reserve(port); // free now, but not for a node
        }

        return ports;
    }

    private static void AddRedisHealthCheck(this IDistributedApplicationBuilder builder, IResourceBuilder<RedisServerResource> redis)
    {
        var healthCheck = $"{redis.Resource.Name}-ping";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck,
            _ => new RedisPingHealthCheck(redis.Resource), failureStatus: HealthStatus.Unhealthy, tags: null));
        redis.WithHealthCheck(healthCheck);
    }

    /// <summary>
    /// The same durability as the local server: an append-only file fsynced before each write is answered (Aspire's
    /// WithPersistence only takes RDB snapshots). Aspire's container runs <c>sh -c "redis-server …"</c> in a published
    /// manifest and passes separate arguments in run mode, so the flags join whichever form its own callback wrote.
    /// </summary>
    private static void AppendOnlyAlways(CommandLineArgsCallbackContext context)
    {
        string[] flags = ["--appendonly", "yes", "--appendfsync", "always"];
        if (context.ExecutionContext.IsRunMode)
        {
            context.Args.Add(flags);
        }
        else if (context.Args is [.., string command])
        {
            context.Args[^1] = $"{command} {string.Join(' ', flags)}";
        }
    }

    private static void Add(this IList<object> args, IEnumerable<object> values)
    {
        foreach (var value in values)
        {
            args.Add(value);
        }
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, command)));
}
