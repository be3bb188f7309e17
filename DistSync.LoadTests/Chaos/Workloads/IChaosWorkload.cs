using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Workloads;

/// <summary>One client of a chaos run: its name in the history, the node it talks to, and where it records.</summary>
public sealed record ChaosClient(string Process, string Node, Uri Url, ChaosHttp Http, HistoryLog History, Random Random)
{
    /// <summary>Sends a request and records it as one operation; <paramref name="complete"/> fills in what the answer says.</summary>
    public async Task<(ChaosOp Op, Answer Answer)> RecordAsync(string kind, string key, string? value, HttpMethod method, string path, byte[]? body,
        CancellationToken cancellationToken, Func<ChaosOp, Answer, ChaosOp>? complete = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        var invoked = Http.Now();
        var answer = await Http.SendAsync(method, new Uri(Url, path), body, kind, cancellationToken);
        var op = new ChaosOp(Process, Node, kind, key, value, invoked, Http.Now(), answer.Outcome) { Detail = answer.Detail };
        if (complete is not null)
        {
            op = complete(op, answer);
        }

        History.Add(op);
        return (op, answer);
    }

    /// <summary>A pause of a random length between operations; never throws when the run ends meanwhile.</summary>
    public Task PauseAsync(int minMs, int maxMs, CancellationToken stop) =>
        Task.Delay(Random.Next(minMs, maxMs), stop).ContinueWith(_ => { }, TaskScheduler.Default);
}

/// <summary>
/// A workload of the fault harness: what its clients do while faults strike, what it reads once every fault has healed
/// (a queue's drain, its dead letters), and the checker that judges the history.
/// </summary>
public interface IChaosWorkload
{
    string Name { get; }

    /// <summary>One client's loop, until <paramref name="stop"/>.</summary>
    Task RunClientAsync(ChaosClient client, CancellationToken stop);

    /// <summary>
    /// After the faults, on a healed cluster: the reads the checker needs to see everything that was kept. Returns null
    /// when they are complete, else what is missing (a drain that did not empty the topic).
    /// </summary>
    Task<string?> FinishAsync(IReadOnlyList<ChaosClient> clients, CancellationToken cancellationToken);

    IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history);
}
