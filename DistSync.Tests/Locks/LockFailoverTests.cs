using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.Client;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Locks;

/// <summary>
/// Mutual exclusion and durability of grants while the Raft leader is SIGKILLed under contention, as DistSync.Client's
/// users see them. The tests share one cluster: each starts by bringing back whatever node an earlier one killed.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LockFailoverTests(LockFailoverTests.Cluster cluster) : IClassFixture<LockFailoverTests.Cluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Grant(string Client, long Token, long GrantedAt, long ReleaseStartedAt);

    [Fact]
    public async Task Contention_WithLeaderKilledMidway_GrantsNeverOverlapAndTokensIncrease()
    {
        var leader = await EveryNodeUpAsync();
        var resource = $"contended-{Guid.NewGuid():n}";
        var grants = new ConcurrentBag<Grant>();
        var last = new ConcurrentDictionary<string, string>();
        const int clients = 6;
        const int grantsPerClient = 8;
        // Alive until the end: their sessions would release whatever a lost release left held.
        var users = Enumerable.Range(0, clients).Select(_ => cluster.CreateDistSyncClient()).ToList();
        try
        {
            async Task ClientAsync(int id)
            {
                var name = $"client{id}";
                for (int done = 0, attempt = 0; done < grantsPerClient; attempt++)
                {
                    Assert.True(attempt < 2_000, $"{name} made no progress");
                    LockHold? hold;
                    try
                    {
                        hold = await users[id].Locks.TryAcquireAsync(resource, wait: TimeSpan.FromSeconds(3), cancellationToken: Ct);
                    }
                    catch (DistSyncUnavailableException ex)
                    {
                        // No leader for longer than the client's retries: not yours yet, so try again.
                        last[name] = ex.Message;
                        continue;
                    }

                    if (hold is null)
                    {
                        last[name] = "not granted within 3 s";
                        continue;
                    }

                    last[name] = $"granted {hold.FencingToken}";
                    var grantedAt = Stopwatch.GetTimestamp();
                    var releaseStarted = Stopwatch.GetTimestamp();
                    await hold.DisposeAsync();
                    grants.Add(new Grant(name, hold.FencingToken, grantedAt, releaseStarted));
                    done++;
                }
            }

            var workers = Enumerable.Range(0, clients).Select(ClientAsync).ToList();
            await Eventually.UntilAsync(() => grants.Count >= clients * grantsPerClient / 3, Patience, "a third of the grants done");
            await cluster.KillAsync(leader.NodeId);
            var survivor = cluster.NodeNames.First(n => n != leader.NodeId);
            try
            {
                await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2), Ct);
            }
            catch (TimeoutException)
            {
                var stuck = await StateAsync(survivor, "?consistency=local");
                var raft = await RaftProbe.StatusesAsync(cluster, cluster.NodeNames);
                Assert.Fail($"clients did not finish; {grants.Count} grants; last outcomes: {string.Join("; ", last.Select(p => $"{p.Key}={p.Value}"))}; state {stuck}; raft {string.Join(" | ", raft)}");
            }

            var ordered = grants.OrderBy(g => g.Token).ToList();
            Assert.Equal(clients * grantsPerClient, ordered.Count);
            Assert.Equal(ordered.Count, ordered.Select(g => g.Token).Distinct().Count());
            for (var i = 1; i < ordered.Count; i++)
            {
                // The next grant (larger token) must come after the previous holder started releasing.
                Assert.True(ordered[i].GrantedAt >= ordered[i - 1].ReleaseStartedAt,
                    $"grant {ordered[i].Token} to {ordered[i].Client} overlaps grant {ordered[i - 1].Token} to {ordered[i - 1].Client}");
            }

            // Read while every client's session is still open, so it is the releases that freed it.
            var state = await StateAsync(survivor);
            Assert.False(state.GetProperty("locks").TryGetProperty(resource, out _), "every grant was released, so the resource is free");
        }
        finally
        {
            foreach (var user in users)
            {
                await user.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Holds_SurviveALeaderKill_AndStillConflict()
    {
        var leader = await EveryNodeUpAsync();
        var resource = $"survivor-{Guid.NewGuid():n}";
        await using var keeper = cluster.CreateDistSyncClient();
        await using var held = await keeper.Locks.AcquireAsync(resource, cancellationToken: Ct);

        await cluster.KillAsync(leader.NodeId);
        var survivors = cluster.NodeNames.Where(n => n != leader.NodeId).ToList();
        await RaftProbe.AgreedLeaderAsync(cluster, survivors, Patience);

        foreach (var node in survivors)
        {
            var state = await StateAsync(node);
            var locked = state.GetProperty("locks").GetProperty(resource);
            Assert.Equal([held.HolderId], locked.GetProperty("holders").EnumerateArray().Select(h => h.GetString()));
            Assert.Equal(held.FencingToken, locked.GetProperty("fencing_token").GetInt64());
        }

        await using var rivals = cluster.CreateDistSyncClient();
        var rival = await rivals.Locks.TryAcquireAsync(resource, cancellationToken: Ct);
        Assert.Null(rival);
        Assert.False(held.HandleLost.IsCancellationRequested, "the keeper's session was lost across the leader change");
    }

    /// <summary>Brings back any node an earlier test killed, and waits until all three agree on a leader.</summary>
    private async Task<RaftView> EveryNodeUpAsync()
    {
        foreach (var node in cluster.NodeNames.Where(n => !cluster.IsRunning(n)))
        {
            await cluster.StartAsync(node);
        }

        return await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);
    }

    private async Task<JsonElement> StateAsync(string node, string query = "")
    {
        using var http = cluster.CreateHttpClient(node);
        return await http.GetFromJsonAsync<JsonElement>($"/locks/state{query}", Ct);
    }
}
