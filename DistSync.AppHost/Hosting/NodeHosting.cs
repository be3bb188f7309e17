using Microsoft.Extensions.DependencyInjection;

namespace DistSync.AppHost.Hosting;

/// <summary>
/// <c>AddDistSyncNodes</c>: node1..nodeN, each a project resource on its own port with no proxy in between (DCP's
/// proxy halved throughput), referencing Redis and every other node (so each gets <c>services__{peer}__http__0</c>),
/// healthy when <c>/health</c> is, and carrying DistSync's commands and live Raft state.
/// </summary>
public static class NodeHosting
{
    public const string EndpointName = "http";

    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddDistSyncNodes(
        this IDistributedApplicationBuilder builder, DistSyncOptions options, IResourceBuilder<IResourceWithConnectionString> redis)
    {
        var publish = builder.ExecutionContext.IsPublishMode;
        var security = NodeSecurity.Add(builder, options);
        var dataDir = options.ResolveDataDir(builder.AppHostDirectory);
        var nodes = new List<IResourceBuilder<ProjectResource>>();
        for (var i = 1; i <= options.Nodes; i++)
        {
            var name = $"node{i}";
            // A published node is a container of its own, so the fixed ports only matter in run mode; 0 = free ports (tests).
            var basePort = publish ? new DistSyncOptions().BasePort : options.BasePort;
            var port = basePort > 0 ? basePort + i - 1 : FreePorts.Take();
            if (!publish && basePort > 0 && !FreePorts.IsFree(port))
            {
                throw new DistSyncConfigurationException(
                    $"Port {port} ({name}) is already in use: stop what holds it (is another AppHost running?) or pick other ports with --base-port.");
            }

            var node = builder.AddProject<Projects.DistSync_Node>(name, launchProfileName: null)
                .WithHttpEndpoint(port: port, name: EndpointName, isProxied: false)
                // IPv4 loopback, not "localhost": one listening socket, and peers connect without resolving a name
                // (in alternating runs, "localhost" cost about 15% of lock pairs/s).
                .WithEndpoint(EndpointName, e => e.TargetHost = publish ? e.TargetHost : "127.0.0.1")
                .WithEnvironment("DistSync__NodeId", name)
                // In a container the log lives on the volume mounted at /data (see docs/operations.md, Deploying to Azure).
                .WithEnvironment("DistSync__DataDir", publish ? "/data" : Path.Combine(dataDir, name))
                .WithReference(redis)
                .WaitFor(redis)
                .WithHttpHealthCheck("/health")
                .WithEnvironment(NoExportWithoutDashboard)
                .WithAnnotation(new DistSyncNodeAnnotation(name))
                .WithUrls(context => NodeUrlsAsync(context, security))
                .WithNodeCommands();
            security.Apply(node, dataDir);
            // An append-only audit file per node, beside its log.
            node.WithEnvironment("DistSync__Audit__File", "audit.jsonl");
            foreach (var (key, value) in options.NodeEnvironment.Concat(options.NodeEnvironmentOf.GetValueOrDefault(name) ?? new Dictionary<string, string>()))
            {
                node.WithEnvironment(key, value);
            }

            if (options.RestartOnCrash)
            {
                node.WithAnnotation(new RestartOnCrashAnnotation());
            }

            nodes.Add(node);
        }

        foreach (var node in nodes)
        {
            foreach (var peer in nodes.Where(p => p != node))
            {
                node.WithReference(peer);
            }

            // Set after the references, so a link's address replaces the one the reference gave.
            if (options.PeerLinks.TryGetValue(node.Resource.Name, out var links))
            {
                foreach (var (to, address) in links)
                {
                    node.WithEnvironment($"services__{to}__{EndpointName}__0", address.ToString().TrimEnd('/'));
                }
            }
        }

        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Services.AddHttpClient(RaftStatePublisher.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(2))
                .AddHttpMessageHandler<AdminTokenHandler>();
            builder.Services.AddHostedService<RaftStatePublisher>();
            builder.Services.AddHostedService<CrashRestarter>();
        }

        return nodes;
    }

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
