using System.Diagnostics;
using System.Text.Json;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// One simulated user: its own client id (so its locks are its own, and the lock table and wait-for graph see 50
/// users, not one), its own node (users are spread over the nodes as a load balancer would spread them), its own
/// random stream, and a loop of task, think, task until the run stops.
/// </summary>
public sealed class VirtualUser
{
    private readonly ClusterClient _client;
    private readonly RunRecorder _recorder;
    private readonly Uri _node;
    private long _sequence;

    public VirtualUser(int index, ClusterClient client, RunRecorder recorder, Uri node, ScenarioRun run)
    {
        Index = index;
        ClientId = $"vu-{run.Id}-{index}";
        _client = client;
        _recorder = recorder;
        _node = node;
        Run = run;
        Random = new Random(Random.Shared.Next());
    }

    public int Index { get; }

    public string ClientId { get; }

    public ScenarioRun Run { get; }

    public Random Random { get; }

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

    internal Task<OpResult> GetAsync(string name, string path, CancellationToken cancellationToken) =>
        Timed(name, () => _client.GetAsync(new Uri(_node, path), cancellationToken), cancellationToken);

    internal Task<OpResult> PostAsync(string name, string path, byte[] body, CancellationToken cancellationToken) =>
        Timed(name, () => _client.PostAsync(new Uri(_node, path), body, cancellationToken), cancellationToken);

    internal async Task<(OpResult Result, JsonElement Body)> PostReadAsync(string name, string path, byte[] body, CancellationToken cancellationToken)
    {
        JsonElement answer = default;
        var result = await Timed(name, async () =>
        {
            var (result, json) = await _client.PostReadAsync(new Uri(_node, path), body, cancellationToken);
            answer = json;
            return result;
        }, cancellationToken);
        return (result, answer);
    }

    private async Task<OpResult> Timed(string name, Func<Task<OpResult>> send, CancellationToken cancellationToken)
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
        catch (OperationCanceledException)
        {
            result = OpResult.Failed("client timeout (no answer within 30 s)");
        }
#pragma warning disable CA1031 // Any failure of one request is that request's failure, recorded; the user goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            result = OpResult.Failed($"client {ex.GetType().Name}: {ex.Message}");
        }

        _recorder.Record(name, start, result);
        return result;
    }
}
