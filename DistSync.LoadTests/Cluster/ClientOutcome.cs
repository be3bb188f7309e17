using DistSync.Client;

namespace DistSync.LoadTests.Cluster;

/// <summary>
/// What a DistSync.Client call ended with, as an <see cref="OpResult"/> named as <see cref="ClusterClient"/> names the
/// raw answers, so the two drivers' tables and reports group alike: a lock not granted and the other 409s are refusals
/// ("409 busy", "409 timeout", "409 deadlock", "409 stale_receipt"); anything else is a failure named by its message, cut
/// short (a problem's reads "503 Service Unavailable: …", its status first as the raw driver's do).
/// </summary>
public static class ClientOutcome
{
    /// <summary>A lock not granted: "busy" when the acquire did not wait, "timeout" when it waited in vain (the node's words).</summary>
    public static OpResult NotGranted(TimeSpan wait) => OpResult.Refused(wait == TimeSpan.Zero ? "409 busy" : "409 timeout");

    public static OpResult Of(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            DistSyncLockTimeoutException => OpResult.Refused("409 timeout"),
            DistSyncDeadlockException => OpResult.Refused("409 deadlock"),
            DistSyncQueueRefusedException refused => OpResult.Refused($"409 {refused.Status}"),
            DistSyncRequestException { Status: 409 } conflict => OpResult.Refused($"409 {conflict.Title}"),
            DistSyncRequestException problem => OpResult.Failed(OpResult.Shorten(problem.Message)), // "404 Not Found: …": status, title, detail
            // As the runners name a raw request's transport failure.
            HttpRequestException or OperationCanceledException or IOException => OpResult.Failed($"client {exception.GetType().Name}"),
            _ => OpResult.Failed(OpResult.Shorten(exception.Message)),
        };
    }

    /// <summary>Runs a client call and classifies how it ended: ok when it returns, <see cref="Of"/> when it throws.</summary>
    public static async Task<OpResult> RunAsync(Func<Task> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            await call();
            return OpResult.Ok;
        }
#pragma warning disable CA1031 // Any failure of one operation is that operation's outcome, recorded; the run goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Of(ex);
        }
    }

    /// <summary>As <see cref="RunAsync(Func{Task})"/>, for a call that judges its own outcome (a lock not granted).</summary>
    public static async Task<OpResult> RunAsync(Func<Task<OpResult>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call();
        }
#pragma warning disable CA1031 // As above.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Of(ex);
        }
    }

    /// <summary>A step's outcome named after the step when it was not ok ("release 503 …"), as the raw driver names its steps.</summary>
    public static OpResult Step(string step, OpResult result) =>
        result.Kind == OpKind.Ok ? result : OpResult.Failed($"{step} {result.Detail}");
}
