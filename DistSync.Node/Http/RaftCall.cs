using DistSync.Node.Consensus;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Http;

/// <summary>Maps "the cluster cannot take this now" onto a 503 problem that says where the leader is.</summary>
public static class RaftCall
{
    public static async Task<TResult> RunAsync<TResult>(Func<Task<TResult>> call, Func<ProblemHttpResult, TResult> problem)
    {
        try
        {
            return await call();
        }
        catch (RaftUnavailableException ex)
        {
            return problem(Unavailable(ex));
        }
    }

    public static ProblemHttpResult Unavailable(RaftUnavailableException ex) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Cluster unavailable",
            detail: ex.Message,
            extensions: new Dictionary<string, object?> { ["leader_id"] = ex.LeaderId, ["retryable"] = true });
}
