using System.Diagnostics;
using DistSync.Client;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// One simulated user, an app of its own: its own <see cref="DistSyncClient"/> under its own client id (so its locks
/// are its own, and the lock table and wait-for graph see 50 users, not one), with its own connections and lock
/// session; its own node to start from (users are spread over the nodes as a load balancer would spread them), from
/// which the client learns the others; its own random stream, and a loop of task, think, task until the run stops.
/// </summary>
public sealed class VirtualUser : IAsyncDisposable
{
    private readonly ClusterClient _raw;
    private readonly RunRecorder _recorder;
    private readonly Uri _node;
    private long _sequence;

    /// <param name="raw">For the one request the client has no call for (<c>GET /locks/state</c>).</param>
    /// <param name="nodes">Every node; the user's client lists <paramref name="node"/> first.</param>
    public VirtualUser(int index, ClusterClient raw, RunRecorder recorder, Uri node, IReadOnlyList<Uri> nodes, ScenarioRun run)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(run);
        Index = index;
        ClientId = $"vu-{run.Id}-{index}";
        _raw = raw;
        _recorder = recorder;
        _node = node;
        Run = run;
        Random = new Random(Random.Shared.Next());
        App = AppClients.Create([node, .. nodes.Where(n => n != node)], ClientId);
    }

    public int Index { get; }

    public string ClientId { get; }

    public ScenarioRun Run { get; }

    public Random Random { get; }

    /// <summary>The user's own client.</summary>
    public DistSyncClient App { get; }

    public long NextSequence() => ++_sequence;

    /// <summary>Task, think, task, … until <paramref name="stop"/>: a task under way finishes (so no lock is left held), a think is cut short.</summary>
    public async Task RunAsync(TaskMix mix, ThinkTime think, CancellationToken stop, CancellationToken hardStop)
    {
        ArgumentNullException.ThrowIfNull(mix);
        while (!stop.IsCancellationRequested)
        {
            await ScenarioTasks.RunAsync(mix.Next(Random), this, hardStop);
            var wait = think.Next(Random);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Closes the user's client: its lock session ends (releasing anything a cut-off task still held) and its connections close.</summary>
    public ValueTask DisposeAsync() => App.DisposeAsync();

    /// <summary>A raw GET to the user's node, recorded as <paramref name="name"/>.</summary>
    internal Task<OpResult> GetAsync(string name, string path, CancellationToken cancellationToken) =>
        Timed(name, () => _raw.GetAsync(new Uri(_node, path), cancellationToken), RawFailure, cancellationToken);

    /// <summary>
    /// A call through the user's client, recorded as <paramref name="name"/>: ok when it returns, or the outcome it judged
    /// itself (a lock not granted); what it throws is classified by <see cref="ClientOutcome"/>.
    /// </summary>
    internal Task<OpResult> CallAsync(string name, Func<CancellationToken, Task<OpResult>> call, CancellationToken cancellationToken) =>
        Timed(name, () => call(cancellationToken), ClientOutcome.Of, cancellationToken);

    internal Task<OpResult> CallAsync(string name, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(name, async ct =>
        {
            await call(ct);
            return OpResult.Ok;
        }, cancellationToken);

    private static OpResult RawFailure(Exception exception) => exception is OperationCanceledException
        ? OpResult.Failed("client timeout (no answer within 30 s)")
        : OpResult.Failed($"client {exception.GetType().Name}: {exception.Message}");

    private async Task<OpResult> Timed(string name, Func<Task<OpResult>> send, Func<Exception, OpResult> failure, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        OpResult result;
        try
        {
            result = await send();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = OpResult.Failed("cut off: still unanswered when the run's finishing time ended");
        }
#pragma warning disable CA1031 // Any failure of one request is that request's failure, recorded; the user goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            result = failure(ex);
        }

        _recorder.Record(name, start, result);
        return result;
    }
}
