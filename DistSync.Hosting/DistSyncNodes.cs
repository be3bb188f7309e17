using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Hosting;

/// <summary>
/// node1..nodeN of a <see cref="DistSyncResource"/>: each on its own port with no proxy in between (DCP's proxy halved
/// throughput), given Redis and every other node's address (<c>services__{peer}__http__0</c>), healthy when its
/// <c>/health</c> is, carrying DistSync's commands and live Raft state, and shown as a child of the cluster.
/// </summary>
internal static class DistSyncNodes
{
    public const string EndpointName = DistSyncResource.NodeEndpointName;

    /// <summary>The port a node's container listens on (the .NET images' default).</summary>
    private const int ContainerPort = 8080;

    /// <summary>Makes the nodes as the setup now says, replacing any made before.</summary>
    public static void Create(IResourceBuilder<DistSyncResource> distsync)
    {
        var builder = distsync.ApplicationBuilder;
        var setup = distsync.Resource.Annotations.OfType<DistSyncSetupAnnotation>().Single();
        foreach (var old in distsync.Resource.AllNodes)
        {
            builder.Resources.Remove(old);
        }

        var nodes = setup.Launch switch
        {
            NodeLaunch.Project project when builder.ExecutionContext.IsPublishMode => Create(distsync, setup, (name, _) => AddBuiltContainer(builder, name, project)),
            NodeLaunch.Project project => Create(distsync, setup, (name, port) => Listen(project.Add(builder, name), port)),
            NodeLaunch.Executable when builder.ExecutionContext.IsPublishMode => Create(distsync, setup, (name, _) => AddContainer(builder, name, setup.Options)),
            NodeLaunch.Executable executable => Create(distsync, setup, (name, port) => AddExecutable(builder, name, port, executable)),
            _ => throw new InvalidOperationException($"Unknown node launch {setup.Launch}."),
        };
        var founders = setup.Options.Nodes;
        distsync.Resource.SetNodes([.. nodes.Take(founders)], [.. nodes.Skip(founders)]);
    }

    private static IReadOnlyList<IResourceWithEndpoints> Create<T>(
        IResourceBuilder<DistSyncResource> distsync, DistSyncSetupAnnotation setup, Func<string, int, IResourceBuilder<T>> add)
        where T : IResourceWithEnvironment, IResourceWithEndpoints, IResourceWithWaitSupport
    {
        var builder = distsync.ApplicationBuilder;
        var options = setup.Options;
        var publish = builder.ExecutionContext.IsPublishMode;
        var dataDir = options.ResolveDataDir(builder.AppHostDirectory);
        var redis = setup.Redis ?? throw new InvalidOperationException($"{distsync.Resource.Name} has no Redis.");
        var nodes = new List<IResourceBuilder<T>>();
        // Spares only in run mode: a deployment grows by adding a node app, not by a dormant one.
        var spares = publish ? 0 : options.SpareNodes;
        var founders = string.Join(",", Enumerable.Range(1, options.Nodes).Select(NodeName));
        for (var i = 1; i <= options.Nodes + spares; i++)
        {
            var name = NodeName(i);
            // A published node is a container of its own, so the fixed ports only matter in run mode; 0 = free ports (tests).
            var basePort = publish ? new DistSyncOptions().BasePort : options.BasePort;
            var port = basePort > 0 ? basePort + i - 1 : FreePorts.Take();
            if (!publish && basePort > 0 && !FreePorts.IsFree(port))
            {
                throw new DistSyncConfigurationException(
                    $"Port {port} ({name}) is already in use: stop what holds it (is another AppHost running?) or pick other ports with --base-port.");
            }

            var node = add(name, port)
                .WithEnvironment("DistSync__NodeId", name)
                // In a container the log lives on the volume mounted at /data (see docs/deployment.md).
                .WithEnvironment("DistSync__DataDir", publish ? "/data" : Path.Combine(dataDir, name))
                // Named "redis" whatever the resource is called: the node reads ConnectionStrings:redis.
                .WithEnvironment("ConnectionStrings__redis", redis)
                .WithReferenceRelationship(redis.Resource)
                .WaitFor(redis)
                .WithHealthCheck(NodeHealthCheck.Register(builder, distsync.Resource, setup, name))
                .WithEnvironment(NoExportWithoutDashboard)
                .WithAnnotation(new DistSyncNodeAnnotation(name))
                .WithUrls(context => NodeUrlsAsync(context, setup.Security))
                .WithNodeCommands()
                .WithParentRelationship(distsync.Resource);
            setup.Security.Apply(node, dataDir);
            // An append-only audit file per node, beside its log.
            node.WithEnvironment("DistSync__Audit__File", "audit.jsonl");
            if (!publish && options.Restore is { } restore)
            {
                // Every founder restores the same file; after the first start the node finds its restore in its folder and goes on from it.
                node.WithEnvironment("DistSync__RestoreFrom", restore);
            }

            if (redis.Resource is RedisClusterResource)
            {
                // Replication is asynchronous: a write is answered once the slot's replica has it, so a failover keeps it.
                node.WithEnvironment("DistSync__Redis__WaitReplicas", "1");
            }

            foreach (var (key, value) in options.NodeEnvironment.Concat(options.NodeEnvironmentOf.GetValueOrDefault(name) ?? new Dictionary<string, string>()))
            {
                node.WithEnvironment(key, value);
            }

            if (options.RestartOnCrash)
            {
                node.WithAnnotation(new RestartOnCrashAnnotation());
            }

            if (!publish)
            {
                node.WithMembershipCommands(distsync.Resource, dataDir);
            }

            // The founders' first start records them; later, and for any node that joins, the data folder is the truth.
            node.WithEnvironment("DistSync__Founders", founders);
            if (i > options.Nodes)
            {
                // A spare always joins an existing cluster as a new learner: the Add node command starts and adds it.
                node.WithExplicitStart().WithEnvironment("DistSync__ClusterState", "Existing");
            }

            nodes.Add(node);
        }

        foreach (var node in nodes)
        {
            var links = options.PeerLinks.GetValueOrDefault(node.Resource.Name);
            foreach (var peer in nodes.Where(p => p != node))
            {
                var variable = $"services__{peer.Resource.Name}__{EndpointName}__0";
                // A link's address replaces the peer's own endpoint (the fault harness's proxies).
                if (links?.GetValueOrDefault(peer.Resource.Name) is { } address)
                {
                    node.WithEnvironment(variable, address.ToString().TrimEnd('/'));
                }
                else
                {
                    node.WithEnvironment(variable, peer.GetEndpoint(EndpointName));
                }

                node.WithReferenceRelationship(peer.Resource);
            }
        }

        return [.. nodes.Select(n => (IResourceWithEndpoints)n.Resource)];
    }

    public static string NodeName(int index) => $"node{index}";

    private static IResourceBuilder<ProjectResource> Listen(IResourceBuilder<ProjectResource> node, int port)
    {
        var publish = node.ApplicationBuilder.ExecutionContext.IsPublishMode;
        return node.WithHttpEndpoint(port: port, name: EndpointName, isProxied: false)
            // IPv4 loopback, not "localhost": one listening socket, and peers connect without resolving a name
            // (in alternating runs, "localhost" cost about 15% of lock pairs/s).
            .WithEndpoint(EndpointName, e => e.TargetHost = publish ? e.TargetHost : "127.0.0.1");
    }

    private static IResourceBuilder<ExecutableResource> AddExecutable(IDistributedApplicationBuilder builder, string name, int port, NodeLaunch.Executable launch) =>
        builder.AddExecutable(name, launch.Command, launch.WorkingDirectory, [.. launch.Args])
            .WithHttpEndpoint(port: port, targetPort: port, name: EndpointName, isProxied: false)
            .WithEndpoint(EndpointName, e => e.TargetHost = "127.0.0.1")
            // A project gets its URLs and telemetry settings from Aspire; an executable is told.
            .WithEnvironment("ASPNETCORE_URLS", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"))
            .WithOtlpExporter()
            .WithIconName("Server");

    private static IResourceBuilder<ContainerResource> AddContainer(IDistributedApplicationBuilder builder, string name, DistSyncOptions options)
    {
        var (image, tag) = options.NodeImage.LastIndexOf(':') is var colon and > 0 && !options.NodeImage[colon..].Contains('/', StringComparison.Ordinal)
            ? (options.NodeImage[..colon], options.NodeImage[(colon + 1)..])
            : (options.NodeImage, "latest");
        return Deployed(builder.AddContainer(name, image, tag), name);
    }

    private static IResourceBuilder<ContainerResource> AddBuiltContainer(IDistributedApplicationBuilder builder, string name, NodeLaunch.Project launch)
    {
        var projectDir = Path.GetDirectoryName(launch.ProjectPath)!;
        var dockerfile = Path.Combine(projectDir, "Dockerfile");
        if (!File.Exists(dockerfile))
        {
            throw new DistSyncConfigurationException($"A manifest builds each node from {dockerfile}, which does not exist.");
        }

        var context = Path.GetDirectoryName(projectDir)!;
        return Deployed(builder.AddDockerfile(name, context, Path.GetRelativePath(context, dockerfile)), name);
    }

    /// <summary>
    /// A deployed node: its endpoint internal to the environment (not external: peers and the apps that reference the
    /// cluster reach it), and its log on a volume of its own. One replica is the default, and a manifest has no field to
    /// pin it: the deployment sets minReplicas = maxReplicas = 1 (docs/deployment.md).
    /// </summary>
    private static IResourceBuilder<ContainerResource> Deployed(IResourceBuilder<ContainerResource> node, string name) =>
        node.WithHttpEndpoint(targetPort: ContainerPort, name: EndpointName)
            .WithVolume($"{name}-data", "/data");

    /// <summary>
    /// Without a dashboard nobody receives telemetry, yet Aspire still hands nodes the launch profile's OTLP endpoint:
    /// exporting to a closed port costs work on every request and about 10 s of retries at every stop.
    /// </summary>
    private static void NoExportWithoutDashboard(EnvironmentCallbackContext context)
    {
        if (context.ExecutionContext.IsRunMode && context.ExecutionContext.Services.GetRequiredService<DistributedApplicationOptions>().DisableDashboard)
        {
            foreach (var key in context.EnvironmentVariables.Keys.Where(k => k.StartsWith("OTEL_EXPORTER_OTLP_", StringComparison.Ordinal)).ToList())
            {
                context.EnvironmentVariables.Remove(key);
            }
        }
    }

    /// <summary>The API itself, its interactive docs and the cluster view, in the dashboard's URL column.</summary>
    private static async Task NodeUrlsAsync(ResourceUrlsCallbackContext context, NodeSecurity security)
    {
        if (context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == EndpointName) is not { } api)
        {
            return;
        }

        api.DisplayText = "API";
        var root = api.Url.TrimEnd('/');
        context.Urls.Add(new ResourceUrlAnnotation { Url = $"{root}/docs", DisplayText = "docs" });
        // The page reads the reader token from the fragment, which the browser never sends to the server.
        var reader = await security.TokenAsync("reader", context.CancellationToken);
        var fragment = reader is null ? "" : $"#token={Uri.EscapeDataString(reader)}";
        context.Urls.Add(new ResourceUrlAnnotation { Url = $"{root}{RaftStatePublisher.ClusterPath}{fragment}", DisplayText = RaftStatePublisher.ClusterLabel });
    }
}
