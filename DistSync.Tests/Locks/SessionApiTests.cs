using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DistSync.Node.Locks;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Locks;

/// <summary>Sessions and the one-resource read, through every node of a real three-node cluster (docs/api.md, Sessions).</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SessionApiTests(SessionApiTests.Cluster cluster) : IClassFixture<SessionApiTests.Cluster>
{
    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private LockClient Node(int i, string role = "writer") => new(cluster.CreateHttpClient($"node{i}", role));

    [Fact]
    public async Task Session_CreateKeepAliveReadClose_ThenItIsGoneEverywhere()
    {
        var created = await Node(1).CreateSessionAsync(ttlMs: 10_000);
        var id = created.SessionId;

        var kept = await Node(2).KeepAliveAsync(id);
        var read = await Node(3).SessionAsync(id);
        var closed = await Node(2).CloseSessionAsync(id);
        var keptAfter = await Node(1).KeepAliveAsync(id);
        var readAfter = await Node(3).SessionAsync(id);

        Assert.Equal(HttpStatusCode.OK, created.Code);
        Assert.Equal("open", created.Status);
        Assert.Equal(10_000, created.Body.GetProperty("ttl_ms").GetInt64());
        Assert.Equal(10_000, created.Body.GetProperty("ttl_remaining_ms").GetInt64());
        Assert.Equal("alive", kept.Status);
        Assert.Equal(10_000, kept.Body.GetProperty("ttl_remaining_ms").GetInt64());
        Assert.Equal(id, read.Body.GetProperty("session_id").GetInt64());
        Assert.InRange(read.Body.GetProperty("ttl_remaining_ms").GetInt64(), 1, 10_000);
        Assert.Equal("closed", closed.Status);
        AssertSessionGone(keptAfter, id);
        AssertSessionGone(readAfter, id);
    }

    [Fact]
    public async Task SessionHolds_NeedNoRenewing_AndWhenTheSessionExpiresTheWaiterIsGranted_NotBeforeItsTtl()
    {
        const long ttlMs = 3_000;
        var id = (await Node(1).CreateSessionAsync(ttlMs)).SessionId;
        var held = await Node(2).AcquireInSessionAsync("session-expiry", "holder", id);
        var waiter = Node(3, "admin").AcquireAsync("session-expiry", "waiter", waitMs: 60_000);

        // Keep the session alive (only the session) until the cluster clock has run two TTLs past the grant.
        var grantedAt = (await Node(1).ResourceAsync("session-expiry")).Body.GetProperty("cluster_time").GetDateTimeOffset();
        long lastKeepAliveSent = 0;
        await Eventually.UntilAsync(async () =>
        {
            var sent = Stopwatch.GetTimestamp();
            if ((await Node(1).KeepAliveAsync(id)).Status != "alive")
            {
                return false;
            }

            lastKeepAliveSent = sent;
            var now = (await Node(2).ResourceAsync("session-expiry")).Body.GetProperty("cluster_time").GetDateTimeOffset();
            return now - grantedAt > TimeSpan.FromMilliseconds(2 * ttlMs);
        }, TimeSpan.FromSeconds(30), "the cluster clock ran two TTLs with the session kept alive");
        var stillHeld = (await Node(3).ResourceAsync("session-expiry")).Body;

        var granted = await waiter;

        var heldFor = Stopwatch.GetElapsedTime(lastKeepAliveSent);
        Assert.Equal("acquired", held.Status);
        Assert.Equal(id, held.SessionId);
        var holder = Assert.Single(stillHeld.GetProperty("holders").EnumerateArray());
        Assert.Equal(held.FencingToken, holder.GetProperty("fencing_token").GetInt64());
        Assert.Equal(id, holder.GetProperty("session_id").GetInt64());
        Assert.Equal("waiter", Assert.Single(stillHeld.GetProperty("waiters").EnumerateArray()).GetProperty("client_id").GetString());
        Assert.Equal("acquired", granted.Status);
        Assert.True(granted.FencingToken > held.FencingToken);
        // The contract a client relies on: nobody else is granted before the last acknowledged keep-alive's send + TTL,
        // less the leader clock's drift allowance (1 %). Measured to the grant's answer, as LockClockSkewTests does.
        Assert.True(heldFor >= TimeSpan.FromMilliseconds(ttlMs * 0.99), $"granted to another {heldFor.TotalMilliseconds:F0} ms after the last keep-alive was sent");
        AssertSessionGone(await Node(2).KeepAliveAsync(id), id);
    }

    [Fact]
    public async Task CloseSession_ReleasesItsHoldsAndWithdrawsItsWaits_InOneCommit()
    {
        var id = (await Node(1).CreateSessionAsync()).SessionId;
        var token = (await Node(1).AcquireInSessionAsync("close-held", "a", id)).FencingToken;
        await Node(2, "admin").AcquireAsync("close-other", "x");
        var sessionWait = Node(3).AcquireInSessionAsync("close-other", "a2", id, waitMs: 60_000);
        var leaseWait = Node(2, "admin").AcquireAsync("close-held", "b", waitMs: 60_000);
        await Eventually.UntilAsync(async () => (await Node(1).ResourceAsync("close-held")).Body.GetProperty("waiters").GetArrayLength() == 1
            && (await Node(1).ResourceAsync("close-other")).Body.GetProperty("waiters").GetArrayLength() == 1,
            TimeSpan.FromSeconds(10), "both acquires are queued");

        var closed = await Node(2).CloseSessionAsync(id);

        Assert.Equal(1, closed.Body.GetProperty("holds_released").GetInt32());
        Assert.Equal(1, closed.Body.GetProperty("waits_withdrawn").GetInt32());
        var granted = await leaseWait;
        Assert.Equal("acquired", granted.Status);
        Assert.True(granted.FencingToken > token);
        AssertSessionGone(await sessionWait, id);
        Assert.Empty((await Node(1).ResourceAsync("close-other")).Body.GetProperty("waiters").EnumerateArray());
    }

    [Fact]
    public async Task SessionHold_ReleasedByItsFencingToken_AndNotRenewable()
    {
        var id = (await Node(1).CreateSessionAsync()).SessionId;
        var held = await Node(2).AcquireInSessionAsync("session-release", "a", id, mode: "shared");

        var renew = await Node(3).RenewAsync("session-release", "a", 60_000);
        var asLease = await Node(3).AcquireAsync("session-release", "a", mode: "shared");
        var released = await Node(1).ReleaseAsync("session-release", "a", held.FencingToken);
        var read = await Node(2).SessionAsync(id);

        Assert.Equal(HttpStatusCode.Conflict, renew.Code);
        Assert.Equal("session_hold", renew.Status);
        Assert.Equal(id, renew.Body.GetProperty("session_id").GetInt64());
        Assert.Equal("session_mismatch", asLease.Status);
        Assert.Equal("released", released.Status);
        Assert.Empty(read.Body.GetProperty("holds").EnumerateArray());
    }

    [Fact]
    public async Task CreateSession_RepeatedWithItsRequestId_AnswersTheSameSession()
    {
        var requestId = Guid.NewGuid().ToString("n");

        var first = await Node(1).CreateSessionAsync(ttlMs: 5_000, requestId);
        var repeat = await Node(3).CreateSessionAsync(ttlMs: 5_000, requestId);

        Assert.Equal(first.SessionId, repeat.SessionId);
    }

    [Fact]
    public async Task Session_OfAnotherToken_DoesNotExistForIt()
    {
        var id = (await Node(1, "writer").CreateSessionAsync()).SessionId;

        var keepAlive = await Node(2, "admin").KeepAliveAsync(id);
        var acquire = await Node(2, "admin").AcquireInSessionAsync("not-yours", "a", id);
        var close = await Node(2, "admin").CloseSessionAsync(id);

        AssertSessionGone(keepAlive, id);
        AssertSessionGone(acquire, id);
        AssertSessionGone(close, id);
        Assert.Equal("alive", (await Node(3, "writer").KeepAliveAsync(id)).Status);
    }

    [Fact]
    public async Task Resource_ShowsHoldersAndWaitersWithSessionsAndTimeLeft_AndAFreeOneEmpty()
    {
        var id = (await Node(1).CreateSessionAsync(ttlMs: 20_000)).SessionId;
        var held = await Node(1).AcquireInSessionAsync("resource-read", "s", id, mode: "shared");
        await Node(2, "admin").AcquireAsync("resource-read", "l", mode: "shared", ttlMs: 30_000);
        var waiting = Node(3, "admin").AcquireAsync("resource-read", "w", waitMs: 60_000);
        await Eventually.UntilAsync(async () => (await Node(2).ResourceAsync("resource-read")).Body.GetProperty("waiters").GetArrayLength() == 1,
            TimeSpan.FromSeconds(10), "w is queued");

        var reads = await Task.WhenAll(Node(1).ResourceAsync("resource-read"), Node(2, "reader").ResourceAsync("resource-read", local: true));
        var free = await Node(3, "reader").ResourceAsync("nobody-holds-this");

        foreach (var read in reads)
        {
            Assert.Equal("shared", read.Body.GetProperty("mode").GetString());
            Assert.True(held.FencingToken < read.Body.GetProperty("fencing_token").GetInt64());
            var holders = read.Body.GetProperty("holders").EnumerateArray().ToList();
            Assert.Equal(["l", "s"], holders.Select(h => h.GetProperty("client_id").GetString()));
            Assert.False(holders[0].TryGetProperty("session_id", out _));
            Assert.Equal(id, holders[1].GetProperty("session_id").GetInt64());
            Assert.All(holders, h => Assert.InRange(h.GetProperty("ttl_remaining_ms").GetInt64(), 1, 30_000));
            var waiter = Assert.Single(read.Body.GetProperty("waiters").EnumerateArray());
            Assert.Equal("w", waiter.GetProperty("client_id").GetString());
            Assert.InRange(waiter.GetProperty("wait_remaining_ms").GetInt64(), 1, 60_000);
        }

        Assert.Equal("local", reads[1].Body.GetProperty("consistency").GetString());
        Assert.Equal(JsonValueKind.Null, free.Body.GetProperty("mode").ValueKind);
        Assert.Empty(free.Body.GetProperty("holders").EnumerateArray());
        await Node(1).CloseSessionAsync(id);
        await Node(1, "admin").ReleaseAsync("resource-read", "l");
        Assert.Equal("acquired", (await waiting).Status);
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        // method and path, JSON body (empty: none), the field the 400 names
        { "POST /sessions", """{"ttl_ms":10}""", "ttl_ms" },
        { "POST /sessions", """{"ttl_ms":3600001}""", "ttl_ms" },
        { "POST /sessions", """{"request_id":""}""", "request_id" },
        { "POST /sessions/keepalive", "{}", "session_id" },
        { "POST /sessions/keepalive", """{"session_id":0}""", "session_id" },
        { "POST /sessions/keepalive", """{"session_id":"seven"}""", "session_id" },
        { "GET /sessions/seven", "", "id" },
        { "DELETE /sessions/0", "", "id" },
        { "GET /sessions/1?consistency=eventual", "", "consistency" },
        { "POST /locks/acquire", """{"resource":"r","client_id":"c","mode":"exclusive","session_id":1,"ttl_ms":1000}""", "ttl_ms" },
        { "POST /locks/acquire", """{"resource":"r","client_id":"c","mode":"exclusive","session_id":0}""", "session_id" },
        { "GET /locks/resource", "", "name" },
        { "GET /locks/resource?name=", "", "name" },
        { "GET /locks/resource?name=r&consistency=eventual", "", "consistency" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInput_Is400Problem_NamingTheField(string route, string body, string field)
    {
        var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
        using var http = cluster.CreateHttpClient("node2", "writer");
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body.Length > 0)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    private static void AssertSessionGone(LockClient.Reply reply, long id)
    {
        Assert.Equal(HttpStatusCode.NotFound, reply.Code);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Equal(SessionProblems.NotFoundType, reply.ProblemType);
        Assert.Equal(id, reply.SessionId);
    }
}
