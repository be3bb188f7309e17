using DistSync.Node.Hosting;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Consensus;

/// <summary><c>/admin/snapshot</c>: a backup of the cluster's replicated state, in the <see cref="SnapshotBackup"/> format (etcd's <c>snapshot save</c>).</summary>
public static class BackupApi
{
    public static IEndpointRouteBuilder MapBackupApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").WithTags("Backup").AddEndpointFilter(new TargetFilter(null));
        admin.MapGet("/snapshot", GetSnapshotAsync).RequireRole(Role.Admin)
            .WithName("GetSnapshot")
            .WithSummary("Streams a snapshot of the replicated state (locks, sessions, membership, topics) holding every write committed before the request.");
        return app;
    }

    public static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> GetSnapshotAsync(RaftHost host, PeerCredentials credentials, TimeProvider time,
        CancellationToken cancellationToken)
    {
        DistSync.Raft.Snapshot snapshot;
        try
        {
            snapshot = await host.TakeSnapshotAsync(cancellationToken);
        }
        catch (RaftUnavailableException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Cluster unavailable", detail: ex.Message);
        }

        var meta = snapshot.Metadata;
        var header = new SnapshotBackupHeader(credentials.ClusterId, host.NodeId, meta.Index, meta.Term, meta.Voters, meta.Learners,
            time.GetUtcNow(), snapshot.Data.Length);
        return TypedResults.Stream(body => SnapshotBackup.WriteAsync(body, header, snapshot, cancellationToken),
            SnapshotBackup.ContentType, SnapshotBackup.FileName(header));
    }
}
