using DistSync.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// <c>AddDistSync</c>: a DistSync cluster (a Redis and N nodes) as one resource that apps reference for its connection
/// string and wait for until it has a leader.
/// <code>
/// var distsync = builder.AddDistSync("distsync");
/// builder.AddProject&lt;Projects.Orders&gt;("orders").WithReference(distsync).WaitFor(distsync);
/// </code>
/// </summary>
public static class DistSyncBuilderExtensions
{
    /// <summary>
    /// Adds a DistSync cluster: a Redis (<c>{name}-redis</c>, unless <see cref="WithRedis"/> gives one) and
    /// <see cref="DistSyncOptions.Nodes"/> nodes <c>node1</c>..<c>nodeN</c> shown as children of the resource, with
    /// DistSync's dashboard additions: each node's Raft role and term, the Kill, Pause, Resume and Transfer leadership
    /// commands, and restarts after a crash. The nodes run as the node tool (<c>dotnet tool run distsync-node</c>) unless
    /// <see cref="WithNodeProject"/> or <see cref="WithNodeExecutable"/> says otherwise. One cluster per AppHost.
    /// </summary>
    /// <param name="options">The cluster's settings; by default the AppHost's <c>DistSync</c> configuration section.</param>
    public static IResourceBuilder<DistSyncResource> AddDistSync(this IDistributedApplicationBuilder builder, [ResourceName] string name, DistSyncOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Resources.OfType<DistSyncResource>().FirstOrDefault() is { } existing)
        {
            throw new DistSyncConfigurationException($"This AppHost already has a DistSync cluster ('{existing.Name}'): one per AppHost (its nodes are node1..nodeN).");
        }

        options ??= DistSyncOptions.Read(builder.Configuration);
        PrepareDataDir(builder, options);
        var security = NodeSecurity.Add(builder, options);
        var cluster = new DistSyncResource(name, security.Tokens.GetValueOrDefault("writer")?.Resource, builder.ExecutionContext.IsPublishMode);
        var setup = new DistSyncSetupAnnotation(options, security, NodeLaunch.LocalTool(builder.AppHostDirectory));
        var healthCheck = ClusterLeaderHealthCheck.KeyOf(cluster);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck,
            sp => new ClusterLeaderHealthCheck(cluster, sp.GetRequiredService<IHttpClientFactory>()), failureStatus: HealthStatus.Unhealthy, tags: null));
        var distsync = builder.AddResource(cluster)
            .WithAnnotation(setup)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = DistSyncResource.ResourceType,
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .WithIconName("LockClosed")
            .WithHealthCheck(healthCheck)
            .OnInitializeResource((resource, initialize, _) => ClusterStatePublisher.RunAsync(resource, initialize));

        var redis = builder.AddDistSyncRedis($"{name}-redis", options).WithParentRelationship(cluster);
        setup.Redis = redis;
        cluster.Redis = redis.Resource;
        setup.OwnedRedis = [redis.Resource, .. (redis.Resource as RedisClusterResource)?.Members ?? [], .. builder.Resources.OfType<ParameterResource>().Where(p => p.Name == $"{redis.Resource.Name}-password")];
        if (builder.ExecutionContext.IsRunMode)
        {
            AddRunModeServices(builder, options.ResolveDataDir(builder.AppHostDirectory));
            distsync.WithAddNodeCommand(options.ResolveDataDir(builder.AppHostDirectory));
        }

        DistSyncNodes.Create(distsync);
        return distsync;
    }

    /// <summary>Uses <paramref name="redis"/> (any resource with a Redis connection string) instead of the Redis <see cref="AddDistSync"/> added.</summary>
    public static IResourceBuilder<DistSyncResource> WithRedis(this IResourceBuilder<DistSyncResource> distsync, IResourceBuilder<IResourceWithConnectionString> redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var setup = SetupOf(distsync);
        foreach (var owned in setup.OwnedRedis)
        {
            distsync.ApplicationBuilder.Resources.Remove(owned);
        }

        setup.OwnedRedis = [];
        setup.Redis = redis;
        distsync.Resource.Redis = redis.Resource;
        DistSyncNodes.Create(distsync);
        return distsync;
    }

    /// <summary>
    /// Runs each node as the project <typeparamref name="TProject"/> (<c>Projects.DistSync_Node</c> in an AppHost that
    /// references <c>DistSync.Node</c>): built with the AppHost. In a manifest each node is a container built from the
    /// project's <c>Dockerfile</c>, with a volume of its own for its log.
    /// </summary>
    public static IResourceBuilder<DistSyncResource> WithNodeProject<TProject>(this IResourceBuilder<DistSyncResource> distsync)
        where TProject : IProjectMetadata, new()
    {
        SetupOf(distsync).Launch = new NodeLaunch.Project((builder, name) => builder.AddProject<TProject>(name, launchProfileName: null), new TProject().ProjectPath);
        DistSyncNodes.Create(distsync);
        return distsync;
    }

    /// <summary>
    /// Runs each node as the executable <paramref name="command"/> with <paramref name="args"/>: a published node
    /// (<c>dotnet publish DistSync.Node</c>), or <c>distsync-node</c> installed as a global tool. In a manifest the nodes
    /// are then containers of <see cref="DistSyncOptions.NodeImage"/>.
    /// </summary>
    public static IResourceBuilder<DistSyncResource> WithNodeExecutable(this IResourceBuilder<DistSyncResource> distsync, string command,
        IEnumerable<string>? args = null, string? workingDirectory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        SetupOf(distsync).Launch = new NodeLaunch.Executable(command, [.. args ?? []], workingDirectory ?? distsync.ApplicationBuilder.AppHostDirectory);
        DistSyncNodes.Create(distsync);
        return distsync;
    }

    /// <summary>The container image a manifest runs the nodes from, when they run as executables here (default <c>distsync-node:latest</c>).</summary>
    public static IResourceBuilder<DistSyncResource> WithNodeImage(this IResourceBuilder<DistSyncResource> distsync, string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        var setup = SetupOf(distsync);
        setup.Options = setup.Options with { NodeImage = image };
        DistSyncNodes.Create(distsync);
        return distsync;
    }

    private static DistSyncSetupAnnotation SetupOf(IResourceBuilder<DistSyncResource> distsync)
    {
        ArgumentNullException.ThrowIfNull(distsync);
        return distsync.Resource.Annotations.OfType<DistSyncSetupAnnotation>().Single();
    }

    /// <summary>In run mode, <c>--clean</c> empties the data folder first; <c>--log-dir</c> copies every resource's output there.</summary>
    private static void PrepareDataDir(IDistributedApplicationBuilder builder, DistSyncOptions options)
    {
        var dataDir = options.ResolveDataDir(builder.AppHostDirectory);
        if (builder.ExecutionContext.IsRunMode && options.Clean && Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }

        if (builder.ExecutionContext.IsRunMode && options.Restore is { } restore)
        {
            RefuseRestoreOverACluster(dataDir, restore, options.Nodes);
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(options);
        if (builder.ExecutionContext.IsRunMode && options.LogDir is not null)
        {
            builder.Services.AddHostedService<ResourceLogFiles>();
        }
    }

    /// <summary>
    /// <c>--restore</c> founds a new cluster, so the folder must not hold one: its nodes would refuse the file one by one.
    /// What counts is what a node counts (ClusterIdentity.HoldsState): anything but its lock file and audit trail.
    /// </summary>
    private static void RefuseRestoreOverACluster(string dataDir, string restore, int nodes)
    {
        if (!File.Exists(restore))
        {
            throw new DistSyncConfigurationException($"--restore {restore}: no such file.");
        }

        var held = File.Exists(Path.Combine(dataDir, NodeSecurity.FormedMarker))
            || Enumerable.Range(1, nodes).Select(i => Path.Combine(dataDir, DistSyncNodes.NodeName(i))).Any(node => Directory.Exists(node)
                && Directory.EnumerateFileSystemEntries(node).Select(Path.GetFileName).Any(n => n is not ("LOCK" or null) && !n.StartsWith("audit", StringComparison.Ordinal)));
        if (held)
        {
            throw new DistSyncConfigurationException(
                $"--restore {restore}: the data folder {dataDir} already holds a cluster. A restore founds a new cluster; add --clean to empty the folder first "
                + "(its cluster is lost), or pick another folder with --data-dir.");
        }
    }

    /// <summary>What watches and drives the cluster while the AppHost runs: Raft state, health, restarts.</summary>
    private static void AddRunModeServices(IDistributedApplicationBuilder builder, string dataDir)
    {
        builder.Services.AddHttpClient(RaftStatePublisher.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(2))
            .AddHttpMessageHandler<AdminTokenHandler>();
        // Membership changes answer once applied, and a follower hands them to the leader: more time than a status read.
        builder.Services.AddHttpClient(MembershipDriver.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(20))
            .AddHttpMessageHandler<AdminTokenHandler>();
        builder.Services.AddHostedService(sp => new MembershipReconciler(sp.GetRequiredService<DistributedApplicationModel>(), sp, dataDir,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<MembershipReconciler>>()));
        builder.Services.AddHostedService<RaftStatePublisher>();
        builder.Services.AddHostedService<CrashRestarter>();
    }
}
