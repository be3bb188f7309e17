using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Locks;

/// <summary>Mutual exclusion and durability of grants while the Raft leader is SIGKILLed under contention.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LockFailoverTests
{
    private const string Resource = "contended";

    private sealed record Grant(string Client, long Token, long GrantedAt, long ReleaseStartedAt);

    [Fact]
    public async Task Contention_WithLeaderKilledMidway_GrantsNeverOverlapAndTokensIncrease()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3);
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(30));
        var grants = new ConcurrentBag<Grant>();
        var last = new ConcurrentDictionary<string, string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        const int clients = 6;
        const int grantsPerClient = 8;

        async Task ClientAsync(int id)
        {
            var name = $"client{id}";
            for (int done = 0, attempt = 0; done < grantsPerClient; attempt++)
            {
                // Spread clients over the nodes; a request that meets a dead node moves on to the next.
                Assert.True(attempt < 2_000, $"{name} made no progress");
                var node = cluster.NodeNames[(id + attempt) % cluster.NodeNames.Count];
                var locks = new LockClient(cluster.CreateHttpClient(node));
                LockClient.Reply reply;
                try
                {
                    reply = await locks.AcquireAsync(Resource, name, waitMs: 3_000, ttlMs: 60_000);
                }
                catch (HttpRequestException)
                {
                    continue;
                }

                last[name] = $"{(int)reply.Code} {reply.Status}";
                if (reply.Status != "acquired")
                {
                    // busy/timeout while others hold it, 503 during the election, already_waiting after an
                    // ambiguous attempt: all mean "not yours yet", so try again.
                    Assert.True(reply.Code is HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable, $"{name} got {(int)reply.Code}: {reply.Body}");
                    continue;
                }

                var grantedAt = Stopwatch.GetTimestamp();
                var releaseStarted = Stopwatch.GetTimestamp();
                await ReleaseUntilDoneAsync(cluster, name);
                grants.Add(new Grant(name, reply.FencingToken, grantedAt, releaseStarted));
                done++;
            }
        }

        var workers = Enumerable.Range(0, clients).Select(ClientAsync).ToList();
        await Eventually.UntilAsync(() => grants.Count >= clients * grantsPerClient / 3, TimeSpan.FromSeconds(60), "a third of the grants done");
        await cluster.KillAsync(leader.NodeId);
        try
        {
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            var survivorNode = cluster.NodeNames.First(n => n != leader.NodeId);
            var stuck = await new LockClient(cluster.CreateHttpClient(survivorNode)).StateAsync(local: true);
            var raft = await RaftProbe.StatusesAsync(cluster, cluster.NodeNames);
            Assert.Fail($"clients did not finish; {grants.Count} grants; last replies: {string.Join("; ", last.Select(p => $"{p.Key}={p.Value}"))}; state {stuck}; raft {string.Join(" | ", raft)}");
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

        var survivor = cluster.NodeNames.First(n => n != leader.NodeId);
        var state = await new LockClient(cluster.CreateHttpClient(survivor)).StateAsync();
        Assert.False(state.GetProperty("locks").TryGetProperty(Resource, out _), "every grant was released, so the resource is free");
    }

    [Fact]
    public async Task Holds_SurviveALeaderKill_AndStillConflict()
    {
        await using var cluster = await ClusterFixture.StartAsync(nodes: 3);
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, TimeSpan.FromSeconds(30));
        var follower = cluster.NodeNames.First(n => n != leader.NodeId);
        var held = await new LockClient(cluster.CreateHttpClient(follower)).AcquireAsync("survivor", "keeper", ttlMs: 120_000);
        Assert.Equal("acquired", held.Status);

        await cluster.KillAsync(leader.NodeId);
        var survivors = cluster.NodeNames.Where(n => n != leader.NodeId).ToList();
        await RaftProbe.AgreedLeaderAsync(cluster, survivors, TimeSpan.FromSeconds(30));

        foreach (var node in survivors)
        {
            var state = await new LockClient(cluster.CreateHttpClient(node)).StateAsync();
            var resource = state.GetProperty("locks").GetProperty("survivor");
            Assert.Equal(["keeper"], resource.GetProperty("holders").EnumerateArray().Select(h => h.GetString()));
            Assert.Equal(held.FencingToken, resource.GetProperty("fencing_token").GetInt64());
        }

        var rival = await new LockClient(cluster.CreateHttpClient(survivors[^1])).AcquireAsync("survivor", "rival");
        Assert.Equal("busy", rival.Status);
    }

    private static async Task ReleaseUntilDoneAsync(ClusterFixture cluster, string client)
    {
        for (var attempt = 0; ; attempt++)
        {
            var node = cluster.NodeNames[attempt % cluster.NodeNames.Count];
            try
            {
                var reply = await new LockClient(cluster.CreateHttpClient(node)).ReleaseAsync(Resource, client);
                // not_held: an earlier attempt whose answer was lost did release it.
                if (reply.Status is "released" or "not_held")
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // That node is the one that was killed.
            }

            Assert.True(attempt < 200, $"{client} could not release");
        }
    }
}
