using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.Client;
using DistSync.Hosting;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Chaos.Workloads;
using DistSync.LoadTests.Reports;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Membership;

/// <summary>
/// Membership changes on a running 3-node cluster, through the AppHost's commands as a user runs them from the dashboard:
/// a spare node added (a learner, then a voter), a founder removed, a node whose data folder was lost replaced, while
/// lock, queue and cache clients run and their history is checked. The tests share one cluster (with two spare nodes);
/// each works with whatever voters the other left.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MembershipChangeTests(MembershipChangeTests.Cluster cluster) : IClassFixture<MembershipChangeTests.Cluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public sealed class Cluster() : ClusterFixture(new ClusterSettings { SpareNodes = 2 });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddPromoteRemove_WhileLocksQueueAndCacheRun_LosesNothing()
    {
        await MembersAsync();
        var recorder = new RunRecorder();
        var history = new HistoryLog();
        var run = $"members-{Guid.NewGuid():n}"[..16];
        IChaosWorkload[] workloads = [new LockWorkload(run), new QueueWorkload(run), new CacheWorkload(run)];
        // Clients start from node2 and node3 (node1 is the one removed); each learns the rest of the cluster by itself.
        var own = new[] { "node2", "node3" };
        var apps = new List<DistSyncClient>();
        var clients = new Dictionary<IChaosWorkload, List<ChaosClient>>();
        var number = 0;
        foreach (var workload in workloads)
        {
            clients[workload] = [];
            for (var i = 0; i < 2; i++, number++)
            {
                var home = own[number % 2];
                var app = new DistSyncClient(new DistSyncClientOptions
                {
                    Endpoints = [Url(home), .. own.Where(n => n != home).Select(Url)],
                    Token = cluster.Tokens["writer"],
                    // The checkers know a holder by its process name: the client id must be that name.
                    ClientId = $"c{number}",
                    RequestTimeout = TimeSpan.FromSeconds(2),
                    SessionTtl = TimeSpan.FromSeconds(5),
                    CacheNode = workload is CacheWorkload ? Url(home) : null,
                });
                apps.Add(app);
                clients[workload].Add(new ChaosClient($"c{number}", home, app, recorder, history, new Random(number)));
            }
        }

        using var stop = new CancellationTokenSource();
        var running = clients.SelectMany(p => p.Value.Select(c => Task.Run(() => LoopAsync(p.Key, c, stop.Token), CancellationToken.None))).ToList();
        try
        {
            await OperationsGoOnAsync(history, "before the changes");

            await cluster.CommandAsync("distsync", MembershipCommands.AddNode);
            var added = await MembersAsync();
            Assert.Equal("voter", RoleOf(added, "node4"));
            Assert.Contains("node4", RingOf(added));
            await OperationsGoOnAsync(history, "after node4 joined");

            await cluster.CommandAsync("node1", MembershipCommands.RemoveNode);
            var removed = await MembersAsync();
            Assert.Null(RoleOf(removed, "node1"));
            Assert.DoesNotContain("node1", RingOf(removed));
            Assert.Contains("node4", removed.GetProperty("members").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "voter").Select(m => m.GetProperty("id").GetString()));
            await cluster.WaitForStateAsync("node1", s => s is "Exited" or "Finished", "stopped");
            await OperationsGoOnAsync(history, "after node1 left");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(running);
        }

        using var finish = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        foreach (var workload in workloads)
        {
            Assert.Null(await workload.FinishAsync(clients[workload], finish.Token));
        }

        var ops = history.Snapshot();
        var violations = workloads.SelectMany(w => w.Check(ops)).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations.Select(v => $"{v.Checker}: {v.Message}")));
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Replace_BringsBackANodeWhoseDataFolderWasLost_AndItServesTheCurrentState()
    {
        await MembersAsync();
        await using var client = cluster.CreateDistSyncClient();
        var resource = $"replace-{Guid.NewGuid():n}";
        await using var hold = await client.Locks.AcquireAsync(resource, cancellationToken: Ct);

        // node3 loses its disk: killed, its folder gone. Started as it is, it would wait: the cluster still counts it as a voter.
        await cluster.KillAsync("node3");
        Directory.Delete(Path.Combine(cluster.DataDir, "node3"), recursive: true);
        await cluster.CommandAsync("node3", MembershipCommands.ReplaceNode);

        var members = await MembersAsync();
        Assert.Equal("voter", RoleOf(members, "node3"));
        Assert.True(File.Exists(Path.Combine(cluster.DataDir, "node3", "founding.json")), "the replaced node recorded how it joined");
        using var node3 = cluster.CreateHttpClient("node3");
        var founding = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(cluster.DataDir, "node3", "founding.json"), Ct)).RootElement;
        Assert.True(founding.GetProperty("joined").GetBoolean());

        // It serves what was committed before it lost its folder: the lock, read through node3 alone.
        var state = await Eventually.UntilAsync(async () =>
        {
            using var response = await node3.GetAsync($"/locks/resource?name={resource}", Ct);
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>(Ct) : (JsonElement?)null;
        }, Patience, "node3 answers the lock's state") ?? throw new InvalidOperationException("no state");
        Assert.Contains(hold.FencingToken.ToString(System.Globalization.CultureInfo.InvariantCulture), state.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MembersApi_RefusesWhatCannotBeDone_WithProblems()
    {
        await MembersAsync();
        using var http = cluster.CreateHttpClient("node2");
        var members = await MembersAsync();
        var voter = members.GetProperty("members").EnumerateArray().First(m => m.GetProperty("role").GetString() == "voter").GetProperty("id").GetString();

        using var twice = await http.PostAsJsonAsync("/cluster/members", new { node_id = voter, url = "http://127.0.0.1:1" }, Ct);
        await AssertProblemAsync(twice, HttpStatusCode.Conflict, "already_member");
        using var promoteVoter = await http.PostAsync($"/cluster/members/{voter}/promote", null, Ct);
        await AssertProblemAsync(promoteVoter, HttpStatusCode.Conflict, "not_learner");
        using var unknown = await http.DeleteAsync("/cluster/members/nobody", Ct);
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not_member");
        using var badUrl = await http.PostAsJsonAsync("/cluster/members", new { node_id = "node9", url = "ftp://x" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badUrl.StatusCode);
        using var badId = await http.DeleteAsync("/cluster/members/no%20de", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        using var writer = cluster.CreateHttpClient("node2", role: "writer");
        using var forbidden = await writer.GetAsync("/cluster/members", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        // A learner that lags is not promoted: one that never answers (nothing listens at its address) lags for good.
        using var learner = await http.PostAsJsonAsync("/cluster/members", new { node_id = "ghost", url = "http://127.0.0.1:1" }, Ct);
        Assert.Equal(HttpStatusCode.Created, learner.StatusCode);
        using var early = await http.PostAsync("/cluster/members/ghost/promote", null, Ct);
        await AssertProblemAsync(early, HttpStatusCode.Conflict, "learner_behind");
        using var gone = await http.DeleteAsync("/cluster/members/ghost", Ct);
        Assert.Equal(HttpStatusCode.OK, gone.StatusCode);
        Assert.Null(RoleOf(await MembersAsync(), "ghost"));
    }

    private Uri Url(string node) => cluster.App.GetEndpoint(node, DistSyncResource.NodeEndpointName);

    /// <summary>The members as the leader sees them, asked of any running node.</summary>
    private async Task<JsonElement> MembersAsync() =>
        (await Eventually.UntilAsync(async () =>
        {
            foreach (var node in new[] { "node2", "node3", "node4", "node1", "node5" }.Where(cluster.IsRunning))
            {
                using var http = cluster.CreateHttpClient(node);
                using var response = await http.GetAsync("/cluster/members", Ct);
                if (response.IsSuccessStatusCode)
                {
                    return (JsonElement?)await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                }
            }

            return null;
        }, Patience, "a node answers GET /cluster/members")).GetValueOrDefault();

    private static string? RoleOf(JsonElement members, string id) =>
        members.GetProperty("members").EnumerateArray().FirstOrDefault(m => m.GetProperty("id").GetString() == id) is { ValueKind: JsonValueKind.Object } m
            ? m.GetProperty("role").GetString()
            : null;

    private static IReadOnlyList<string?> RingOf(JsonElement members) =>
        [.. members.GetProperty("ring").GetProperty("members").EnumerateArray().Select(m => m.GetString())];

    /// <summary>Every workload completes more operations from here: the cluster serves through the change.</summary>
    private static async Task OperationsGoOnAsync(HistoryLog history, string when)
    {
        var before = history.Snapshot().Where(o => o.Outcome == Outcome.Ok).GroupBy(o => o.Kind.Split('.')[0]).ToDictionary(g => g.Key, g => g.Count());
        await Eventually.UntilAsync(() =>
        {
            var now = history.Snapshot().Where(o => o.Outcome == Outcome.Ok).GroupBy(o => o.Kind.Split('.')[0]).ToDictionary(g => g.Key, g => g.Count());
            return new[] { "lock", "queue", "cache" }.All(k => now.GetValueOrDefault(k) >= before.GetValueOrDefault(k) + 5);
        }, Patience, $"lock, queue and cache operations complete {when}");
    }

    private static async Task LoopAsync(IChaosWorkload workload, ChaosClient client, CancellationToken stop)
    {
        try
        {
            await workload.RunClientAsync(client, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string refusal)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(refusal, JsonDocument.Parse(body).RootElement.GetProperty("refusal").GetString());
    }
}
