using DistSync.Node.Cache;
using DistSync.Node.ClusterView;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Locks;
using DistSync.Node.Membership;
using DistSync.Node.Queue;
using DistSync.Node.Security;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace DistSync.Node;

/// <summary>The node's composition: each folder registers its services and maps its routes; Program.cs runs the three steps.</summary>
public static class NodeApplication
{
    public static WebApplicationBuilder AddNodeServices(this WebApplicationBuilder builder)
    {
        builder.AddNodeHosting();
        builder.AddSecurity();
        builder.AddConsensus();
        builder.AddMembership();
        builder.AddLocks();
        builder.AddQueue();
        builder.AddCache();
        builder.AddClusterView();
        builder.Services.AddOpenApi(o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("internal", StringComparison.Ordinal) != true;
            o.AddDocumentTransformer<BearerSecurityScheme>();
        });
        return builder;
    }

    /// <summary>
    /// The node's start-up checks, before anything is served or Raft opens its log: the options are valid, and the data
    /// folder belongs to this cluster (a folder of another cluster, or a lost one, stops the node here). Throws
    /// <see cref="OptionsValidationException"/> or <see cref="ClusterIdentityException"/> with what to do.
    /// </summary>
    public static WebApplication CheckStartup(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
        var peers = app.Services.GetRequiredService<PeerDirectory>();
        app.Logger.NodeStarting(options.NodeId, string.Join(",", peers.PeerIds), options.ResolveDataDir());

        // Before anything in the folder is read or written: two processes must never share one data folder.
        app.Services.GetRequiredService<DataDirLock>().Acquire();
        // Before anything else writes into the folder: a restore needs it empty.
        app.Services.GetRequiredService<ClusterRestore>().RestoreIfAsked();
        var credentials = app.Services.GetRequiredService<PeerCredentials>();
        credentials.Establish();
        var founding = app.Services.GetRequiredService<ClusterFounding>();
        founding.Load(options.ClusterState);
        if (!founding.Settled)
        {
            app.Logger.EnteringCluster(options.ClusterState);
        }

        app.Logger.ClusterIdentified(credentials.ClusterId ?? "(none: DistSync__ClusterId is not set, so peers' cluster ids are not checked)");

        var tokens = app.Services.GetRequiredService<TokenTable>();
        if (tokens.Off)
        {
            app.Logger.AuthOff();
        }
        else
        {
            app.Logger.AuthTokens(string.Join(", ", tokens.Grants.Select(g => g.Prefixes.Count == 0 ? $"{g.Name} ({g.Role})" : $"{g.Name} ({g.Role}, {string.Join("|", g.Prefixes)})")));
        }

        return app;
    }

    public static WebApplication MapNodeApis(this WebApplication app)
    {
        // Outermost, so an event records the answer the client got, whatever produced it.
        app.UseAudit();
        app.UseExceptionHandler();
        // A bare status (405, 415, …) becomes a problem too, whatever the client's Accept says.
        app.UseStatusCodePages(context => TypedResults.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        // Before anything reads a body: /internal/* refuses a request without the cluster key unread.
        app.UseMiddleware<ClusterKeyMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseBodyLimits();

        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", o => o.WithTitle("DistSync API").WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddPreferredSecuritySchemes(BearerSecurityScheme.Name)).AllowAnonymous();
        app.MapDefaultEndpoints(HealthResponseWriter.WriteAsync);
        app.MapRaftApi();
        app.MapBackupApi();
        app.MapMembersApi();
        app.MapLocksApi();
        app.MapSessionsApi();
        app.MapQueueApi();
        app.MapQueueInternalApi();
        app.MapCacheApi();
        app.MapCacheInternalApi();
        app.MapClusterViewApi();
        app.MapTopologyApi();
        return app;
    }
}
