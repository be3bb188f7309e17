using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Locks;

/// <summary>The problem a request gets when the session it names is not open: one type, whichever route it was.</summary>
public static class SessionProblems
{
    /// <summary>The problem's <c>type</c>: a client recognises a lost session by it, on every session and lock route.</summary>
    public const string NotFoundType = "urn:distsync:problem:session-not-found";

    public static ProblemHttpResult NotFound(SessionGone gone) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Session not found",
            detail: gone.Detail,
            type: NotFoundType,
            extensions: new Dictionary<string, object?> { ["session_id"] = gone.SessionId });
}
