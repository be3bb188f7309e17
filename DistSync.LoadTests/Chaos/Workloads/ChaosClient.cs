using System.Diagnostics;
using DistSync.Client;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>
/// One client of a chaos run: an app with a <see cref="DistSyncClient"/> of its own (its own client id and lock session),
/// which sends each request to the node that serves it and retries on the others what is safe to retry, as users' apps do.
/// <see cref="Node"/> is the node it was given first (and, for the cache, the node that serves its reads). Every call is
/// recorded as one operation of the history, classified as a checker needs it: an answer is ok; a refusal failed (nothing
/// happened); a failure that may have been applied, or a call cut short, unknown; a cluster that could not be reached
/// and surely applied nothing failed too, with <see cref="Unavailable"/> as its detail (it is no answer).
/// </summary>
public sealed class ChaosClient(string process, string node, DistSyncClient client, RunRecorder recorder, HistoryLog history, Random random)
{
    /// <summary>The detail of a call that reached no node able to answer, and was surely not applied.</summary>
    public const string Unavailable = "unavailable";

    public string Process { get; } = process;

    public string Node { get; } = node;

    public DistSyncClient Client { get; } = client;

    public HistoryLog History { get; } = history;

    public Random Random { get; } = random;

    /// <summary>Microseconds since the run began: the history's clock, the recorder's origin.</summary>
    public long Now() => recorder.Elapsed.Ticks / 10;

    /// <summary>
    /// Runs one call and records it; <paramref name="complete"/> fills in what its result says (and may turn an ok call
    /// into a refusal, as a busy lock is). It is also given the op of a call that threw, with a default result.
    /// </summary>
    public async Task<(ChaosOp Op, T? Result)> RecordAsync<T>(string kind, string key, string? value, Func<CancellationToken, Task<T>> call,
        CancellationToken cancellationToken, Func<ChaosOp, T?, ChaosOp>? complete = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        var invoked = Now();
        var started = Stopwatch.GetTimestamp();
        T? result = default;
        var (outcome, detail) = (Outcome.Ok, (string?)null);
        try
        {
            result = await call(cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            (outcome, detail) = Classify(ex);
        }

        var op = new ChaosOp(Process, Node, kind, key, value, invoked, Now(), outcome) { Detail = detail };
        if (complete is not null)
        {
            op = complete(op, result);
        }

        recorder.Record(kind, started, op.Outcome switch
        {
            Outcome.Ok => OpResult.Ok,
            Outcome.Failed => OpResult.Refused(op.Detail ?? "failed"),
            _ => OpResult.Failed(op.Detail ?? "unknown"),
        });
        History.Add(op);
        return (op, result);
    }

    /// <summary>A call with no result.</summary>
    public async Task<ChaosOp> RecordAsync(string kind, string key, string? value, Func<CancellationToken, Task> call, CancellationToken cancellationToken,
        Func<ChaosOp, ChaosOp>? complete = null) =>
        (await RecordAsync<bool>(kind, key, value, async ct =>
        {
            await call(ct);
            return true;
        }, cancellationToken, complete is null ? null : (op, _) => complete(op))).Op;

    /// <summary>A pause of a random length between operations; never throws when the run ends meanwhile.</summary>
    public Task PauseAsync(int minMs, int maxMs, CancellationToken stop) =>
        Task.Delay(Random.Next(minMs, maxMs), stop).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>What a failed call says about its effect.</summary>
    public static (Outcome Outcome, string Detail) Classify(Exception exception) => exception switch
    {
        DistSyncUnavailableException { MayHaveBeenApplied: true } => (Outcome.Unknown, "may have been applied"),
        DistSyncUnavailableException => (Outcome.Failed, Unavailable),
        // A server error is no refusal: whatever failed there may have been applied first.
        DistSyncRequestException { Status: >= 500 } broken => (Outcome.Unknown, $"{broken.Status} {broken.Title}"),
        DistSyncRequestException refused => (Outcome.Failed, $"{refused.Status} {refused.Title}"),
        DistSyncQueueRefusedException refused => (Outcome.Failed, $"409 {refused.Status}"),
        DistSyncException refused => (Outcome.Failed, refused.Message),
        OperationCanceledException => (Outcome.Unknown, "cancelled"),
        _ => (Outcome.Unknown, exception.GetType().Name),
    };
}
