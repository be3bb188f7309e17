using System.Net;
using System.Text.Json;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Locks;

/// <summary>The lock walk-through of docs/api.md, through every node of a real three-node cluster.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LockApiTests(LockApiTests.Cluster cluster) : IClassFixture<LockApiTests.Cluster>
{
    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private LockClient Node(int i) => new(cluster.CreateHttpClient($"node{i}"));

    [Fact]
    public async Task Acquire_OnOneNode_StateIsIdenticalOnAllThree()
    {
        var granted = await Node(1).AcquireAsync("scenario-a", "alice");
        var states = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => Node(i).StateAsync()));

        Assert.Equal(HttpStatusCode.OK, granted.Code);
        Assert.Equal("acquired", granted.Status);
        foreach (var state in states)
        {
            var resource = state.GetProperty("locks").GetProperty("scenario-a");
            Assert.Equal("exclusive", resource.GetProperty("mode").GetString());
            Assert.Equal(["alice"], resource.GetProperty("holders").EnumerateArray().Select(h => h.GetString()));
            Assert.Equal(granted.FencingToken, resource.GetProperty("fencing_token").GetInt64());
        }

        Assert.Equal(Canonical(states[0].GetProperty("locks")), Canonical(states[1].GetProperty("locks")));
        Assert.Equal(Canonical(states[0].GetProperty("locks")), Canonical(states[2].GetProperty("locks")));
    }

    [Fact]
    public async Task Conflict_WithoutWait_IsRefusedBusy_AndSharedHoldersCoexist()
    {
        var first = await Node(1).AcquireAsync("scenario-b", "reader1", "shared");
        var second = await Node(2).AcquireAsync("scenario-b", "reader2", "shared");
        var writer = await Node(3).AcquireAsync("scenario-b", "writer");

        Assert.Equal("acquired", first.Status);
        Assert.Equal("acquired", second.Status);
        Assert.Equal(HttpStatusCode.Conflict, writer.Code);
        Assert.Equal("busy", writer.Status);
        Assert.Equal(["reader1", "reader2"], writer.Body.GetProperty("holders").EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task Release_HandsTheLockToTheNextWaiter_WithALargerToken()
    {
        var holder = await Node(1).AcquireAsync("scenario-c", "first");
        var waiting = Node(3).AcquireAsync("scenario-c", "second", waitMs: 20_000);
        await Eventually.UntilAsync(async () => (await Node(2).StateAsync()).GetProperty("locks").GetProperty("scenario-c").GetProperty("waiters").GetArrayLength() == 1,
            TimeSpan.FromSeconds(10), "second is queued");

        var released = await Node(2).ReleaseAsync("scenario-c", "first");
        var granted = await waiting;

        Assert.Equal("released", released.Status);
        Assert.Equal("acquired", granted.Status);
        Assert.True(granted.FencingToken > holder.FencingToken, $"token {granted.FencingToken} must exceed {holder.FencingToken}");
    }

    [Fact]
    public async Task Deadlock_IsRefusedWithItsCycle()
    {
        await Node(1).AcquireAsync("scenario-d1", "p");
        await Node(1).AcquireAsync("scenario-d2", "q");
        var pWaits = Node(2).AcquireAsync("scenario-d2", "p", waitMs: 20_000);
        await Eventually.UntilAsync(async () => (await Node(3).StateAsync()).GetProperty("wait_for").TryGetProperty("p", out _),
            TimeSpan.FromSeconds(10), "p waits for q");

        var refused = await Node(3).AcquireAsync("scenario-d1", "q", waitMs: 20_000);

        Assert.Equal(HttpStatusCode.Conflict, refused.Code);
        Assert.Equal("deadlock", refused.Status);
        Assert.Equal(["q", "p", "q"], refused.Body.GetProperty("cycle").EnumerateArray().Select(c => c.GetString()));
        await Node(1).ReleaseAsync("scenario-d2", "q");
        Assert.Equal("acquired", (await pWaits).Status);
    }

    [Fact]
    public async Task Lease_Expires_AndTheWaiterIsGranted()
    {
        var holder = await Node(1).AcquireAsync("scenario-e", "short", ttlMs: 300);
        var waiter = await Node(2).AcquireAsync("scenario-e", "patient", waitMs: 20_000);

        Assert.Equal("acquired", waiter.Status);
        Assert.True(waiter.FencingToken > holder.FencingToken);
        var state = (await Node(3).StateAsync()).GetProperty("locks").GetProperty("scenario-e");
        Assert.Equal(["patient"], state.GetProperty("holders").EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task WaitTimeout_IsAnsweredTimeout_AndLeavesNoWaiter()
    {
        await Node(1).AcquireAsync("scenario-f", "owner");

        var late = await Node(2).AcquireAsync("scenario-f", "late", waitMs: 200);

        Assert.Equal(HttpStatusCode.Conflict, late.Code);
        Assert.Equal("timeout", late.Status);
        var state = (await Node(3).StateAsync()).GetProperty("locks").GetProperty("scenario-f");
        Assert.Equal(0, state.GetProperty("waiters").GetArrayLength());
    }

    [Fact]
    public async Task Release_NotHeld_Is409NotHeld()
    {
        var reply = await Node(1).ReleaseAsync("scenario-g", "nobody");

        Assert.Equal(HttpStatusCode.Conflict, reply.Code);
        Assert.Equal("not_held", reply.Status);
    }

    [Fact]
    public async Task Release_NamingAnEarlierHoldsToken_Is409StaleToken_AndTheNewHoldStays()
    {
        var first = await Node(1).AcquireAsync("scenario-stale", "alice");
        await Node(1).ReleaseAsync("scenario-stale", "alice", first.FencingToken);
        var second = await Node(2).AcquireAsync("scenario-stale", "alice");

        // The first hold's release, retried late by a slow client, arrives after it acquired again.
        var late = await Node(3).ReleaseAsync("scenario-stale", "alice", first.FencingToken);
        var renew = await Node(3).RenewAsync("scenario-stale", "alice", 30_000, first.FencingToken);

        Assert.Equal(HttpStatusCode.Conflict, late.Code);
        Assert.Equal("stale_token", late.Status);
        Assert.Equal(second.FencingToken, late.Body.GetProperty("current_fencing_token").GetInt64());
        Assert.Equal("stale_token", renew.Status);
        var state = (await Node(1).StateAsync()).GetProperty("locks").GetProperty("scenario-stale");
        Assert.Equal(second.FencingToken, state.GetProperty("holder_details")[0].GetProperty("fencing_token").GetInt64());
        Assert.Equal("busy", (await Node(2).AcquireAsync("scenario-stale", "bob")).Status);
        Assert.Equal("released", (await Node(2).ReleaseAsync("scenario-stale", "alice", second.FencingToken)).Status);
    }

    [Fact]
    public async Task Acquire_RetriedWithItsRequestId_GetsTheFirstGrant_OnAnyNode()
    {
        const string body = """{"resource":"scenario-retry","client_id":"alice","mode":"exclusive","request_id":"r-1"}""";
        var first = await Node(1).PostRawAsync("/locks/acquire", body);
        var retried = await Node(3).PostRawAsync("/locks/acquire", body);
        var other = await Node(2).PostRawAsync("/locks/release", """{"resource":"scenario-retry","client_id":"alice","request_id":"r-1"}""");

        Assert.Equal("acquired", retried.Status);
        Assert.Equal(first.FencingToken, retried.FencingToken);
        Assert.False(retried.Body.GetProperty("already_held").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, other.Code);
        Assert.Equal("request_id", other.Body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Acquire_WhoseCallerHangsUpWhileWaiting_IsWithdrawn_AndNeverGranted()
    {
        await Node(1).AcquireAsync("scenario-hangup", "owner", ttlMs: 60_000);
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var http = cluster.CreateHttpClient("node2");
        var waiting = http.PostAsync(new Uri("/locks/acquire", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(
            new Dictionary<string, object> { ["resource"] = "scenario-hangup", ["client_id"] = "gone", ["mode"] = "exclusive", ["wait_ms"] = 60_000 }), hangUp.Token);
        await WaitersAreAsync("scenario-hangup", ["gone"]);

        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        // Withdrawn through Raft long before its 60 s deadline; the owner's release then hands the lock to nobody.
        await WaitersAreAsync("scenario-hangup", []);
        Assert.Equal("released", (await Node(3).ReleaseAsync("scenario-hangup", "owner")).Status);
        Assert.Equal("acquired", (await Node(3).AcquireAsync("scenario-hangup", "next")).Status);
    }

    [Fact]
    public async Task Acquire_WithARequestIdWhoseCallerHangsUp_StaysQueued_AndItsRepeatGetsTheGrant()
    {
        await Node(1).AcquireAsync("scenario-hangup-id", "owner", ttlMs: 60_000);
        const string body = """{"resource":"scenario-hangup-id","client_id":"back","mode":"exclusive","wait_ms":60000,"request_id":"w-1"}""";
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var http = cluster.CreateHttpClient("node2");
        var waiting = http.PostAsync(new Uri("/locks/acquire", UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, "application/json"), hangUp.Token);
        await WaitersAreAsync("scenario-hangup-id", ["back"]);

        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var repeat = Node(3).PostRawAsync("/locks/acquire", body); // the client comes back for its answer
        Assert.Equal("released", (await Node(1).ReleaseAsync("scenario-hangup-id", "owner")).Status);

        var granted = await repeat;
        Assert.Equal("acquired", granted.Status);
        var holder = (await Node(1).StateAsync()).GetProperty("locks").GetProperty("scenario-hangup-id").GetProperty("holders");
        Assert.Equal(["back"], holder.EnumerateArray().Select(h => h.GetString()));
    }

    private Task WaitersAreAsync(string resource, string[] waiters) =>
        Eventually.UntilAsync(async () =>
        {
            var locks = (await Node(1).StateAsync()).GetProperty("locks");
            var queued = locks.TryGetProperty(resource, out var state) ? state.GetProperty("waiters").EnumerateArray().Select(w => w.GetString()!).ToArray() : [];
            return queued.SequenceEqual(waiters);
        }, TimeSpan.FromSeconds(10), $"waiters of {resource} to be [{string.Join(", ", waiters)}]");

    [Theory]
    [InlineData("""{"client_id":"c","mode":"exclusive"}""", "resource")]
    [InlineData("""{"resource":"scenario-h","client_id":"c","mode":"upgradable"}""", "mode")]
    [InlineData("""{"resource":"scenario-h","client_id":"c","mode":"shared","wait_ms":-1}""", "wait_ms")]
    [InlineData("""{"resource":"scenario-h","client_id":"c","mode":"shared","ttl_ms":999999999999}""", "ttl_ms")]
    [InlineData("""{"resource":"scenario-h","mode":"shared"}""", "client_id")]
    [InlineData("""{"resource":"scenario-h","client_id":"c","mode":"shared","wait_ms":"soon"}""", "wait_ms")]
    [InlineData("""{"resource":"scenario-h","client_id":"c","fencing_token":0}""", "fencing_token", "/locks/release")]
    [InlineData("""{"resource":"scenario-h","client_id":"c","fencing_token":-5}""", "fencing_token", "/locks/renew")]
    public async Task Acquire_BadInput_Is400NamingTheField_AndChangesNothing(string body, string field, string path = "/locks/acquire")
    {
        var before = Canonical((await Node(1).StateAsync()).GetProperty("locks"));

        var reply = await Node(2).PostRawAsync(path, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Code);
        Assert.Equal(field, reply.Body.GetProperty("field").GetString());
        Assert.Contains(field, reply.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, Canonical((await Node(1).StateAsync()).GetProperty("locks")));
    }

    [Fact]
    public async Task Acquire_OversizedClientId_Is400()
    {
        var reply = await Node(1).AcquireAsync("scenario-i", new string('x', 1000));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Code);
        Assert.Equal("client_id", reply.Body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task State_UnknownConsistency_Is400()
    {
        using var http = cluster.CreateHttpClient("node1");
        using var response = await http.GetAsync(new Uri("/locks/state?consistency=eventual", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static string Canonical(JsonElement element) => JsonSerializer.Serialize(element);
}
