using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistSync.Hosting;

/// <summary>
/// What makes a cluster its own: one secret parameter per client role (generated and kept in the AppHost's user
/// secrets in run mode, required in publish mode), the cluster key and id, and whether the cluster already exists.
/// The AppHost itself calls the nodes with the admin token (the dashboard's Raft labels and commands).
/// </summary>
public sealed class NodeSecurity
{
    public static readonly string[] Roles = ["reader", "writer", "admin"];

    /// <summary>Written into the data folder once every node has come up: from then on, an empty node folder is a lost one.</summary>
    public const string FormedMarker = "cluster-formed";

    private NodeSecurity(IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> tokens, IResourceBuilder<ParameterResource> clusterKey,
        IResourceBuilder<ParameterResource> clusterId, bool authOff)
    {
        Tokens = tokens;
        ClusterKey = clusterKey;
        ClusterId = clusterId;
        AuthOff = authOff;
    }

    /// <summary>By role; empty when auth is off.</summary>
    public IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> Tokens { get; }

    public IResourceBuilder<ParameterResource> ClusterKey { get; }

    public IResourceBuilder<ParameterResource> ClusterId { get; }

    public bool AuthOff { get; }

    public static string TokenParameter(string role) => $"{role}-token";

    public static NodeSecurity Add(IDistributedApplicationBuilder builder, DistSyncOptions options)
    {
        var publish = builder.ExecutionContext.IsPublishMode;
        IResourceBuilder<ParameterResource> Secret(string name, int length) => publish
            ? builder.AddParameter(name, secret: true)
            : builder.AddParameter(name, new GenerateParameterDefault { MinLength = length, Special = false }, secret: true, persist: true);

        var tokens = options.AuthOff ? new Dictionary<string, IResourceBuilder<ParameterResource>>()
            : Roles.ToDictionary(r => r, r => Secret(TokenParameter(r), 32), StringComparer.Ordinal);
        var key = Secret("cluster-key", 32);
        var id = builder.AddParameter("cluster-id", new GenerateParameterDefault { MinLength = 16, Special = false, Upper = false }, persist: true);
        var security = new NodeSecurity(tokens, key, id, options.AuthOff);
        builder.Services.AddSingleton(security);
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Services.AddHostedService<DevTokensBanner>();
            builder.Services.AddHostedService(sp => new ClusterFormedMarker(
                sp.GetRequiredService<DistributedApplicationModel>(), sp.GetRequiredService<ResourceNotificationService>(), options.ResolveDataDir(builder.AppHostDirectory)));
            builder.Services.AddTransient<AdminTokenHandler>();
        }

        return security;
    }

    /// <summary>Configures one node: its tokens, cluster key and id, and whether the cluster is new (judged at each start).</summary>
    public void Apply<T>(IResourceBuilder<T> node, string dataDir)
        where T : IResourceWithEnvironment
    {
        node.WithEnvironment("DistSync__ClusterKey", ClusterKey)
            .WithEnvironment("DistSync__ClusterId", ClusterId)
            .WithEnvironment(context =>
            {
                // A deployed node's volume is its own and the AppHost is gone after the roll-out: the node judges from its volume
                // and its peers whether it founds the cluster, rejoins it, or waits to be added (docs/deployment.md).
                var formed = context.ExecutionContext.IsRunMode && File.Exists(Path.Combine(dataDir, FormedMarker));
                context.EnvironmentVariables["DistSync__ClusterState"] = context.ExecutionContext.IsPublishMode ? "Auto" : formed ? "Existing" : "New";
            });
        if (AuthOff)
        {
            node.WithEnvironment("DistSync__Auth__Mode", "Off");
            return;
        }

        foreach (var (role, token) in Tokens)
        {
            node.WithEnvironment($"DistSync__Auth__Tokens__{role}__Secret", token)
                .WithEnvironment($"DistSync__Auth__Tokens__{role}__Role", role);
        }
    }

    /// <summary>The token's value (generated or configured); null when auth is off.</summary>
    public async Task<string?> TokenAsync(string role, CancellationToken cancellationToken) =>
        Tokens.TryGetValue(role, out var token) ? await token.Resource.GetValueAsync(cancellationToken) : null;
}

/// <summary>Adds the admin token to the AppHost's own calls to the nodes.</summary>
internal sealed class AdminTokenHandler(NodeSecurity security) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (await security.TokenAsync("admin", cancellationToken) is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// Says which development tokens the nodes take once the app has started, next to Aspire's own dashboard login line:
/// each by its first characters only, since console output ends up in log files and CI artifacts; the whole tokens
/// are in the AppHost's user secrets.
/// </summary>
internal sealed partial class DevTokensBanner(NodeSecurity security, ILogger<DevTokensBanner> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (security.AuthOff)
        {
            LogAuthOff();
            return;
        }

        var tokens = new List<string>();
        foreach (var role in NodeSecurity.Roles)
        {
            tokens.Add($"{role}={Prefix(await security.TokenAsync(role, cancellationToken))}");
        }

        LogTokens(string.Join("  ", tokens));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Enough to tell tokens apart, at most a quarter of one: the first 4 characters of a 16-character token.</summary>
    internal static string Prefix(string? token) => token is null ? "-" : token[..Math.Min(4, token.Length / 4)] + "…";

    [LoggerMessage(9301, LogLevel.Information,
        "DistSync development tokens (send 'Authorization: Bearer <token>'; whole in this AppHost's user secrets: dotnet user-secrets list --project DistSync.AppHost): {Tokens}")]
    private partial void LogTokens(string tokens);

    [LoggerMessage(9302, LogLevel.Warning, "DistSync authentication is OFF (--no-auth): anyone who can reach a node may read, write and administer the cluster.")]
    private partial void LogAuthOff();
}

/// <summary>
/// Writes <see cref="NodeSecurity.FormedMarker"/> once every node has been healthy (so each has written its cluster id):
/// a node whose folder is empty after that has lost its log, and is told the cluster exists.
/// </summary>
internal sealed class ClusterFormedMarker(DistributedApplicationModel model, ResourceNotificationService notifications, string dataDir) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var marker = Path.Combine(dataDir, NodeSecurity.FormedMarker);
        if (File.Exists(marker))
        {
            return;
        }

        try
        {
            // The founders only: spare nodes start when asked, and always join as new members.
            var nodes = model.Resources.OfType<DistSyncResource>().SelectMany(c => c.Nodes);
            await Task.WhenAll(nodes.Select(n => notifications.WaitForResourceHealthyAsync(n.Name, stoppingToken)));
            Directory.CreateDirectory(dataDir);
            await File.WriteAllTextAsync(marker, $"{DateTimeOffset.UtcNow:O}\n", stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped before the cluster formed: it is still new next time.
        }
    }
}
