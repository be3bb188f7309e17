using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DistSync.Node.Hosting;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Security;

/// <summary>Tokens, roles, prefix grants, limits and the audit log, over HTTP on a real cluster.</summary>
[Collection(SecurityCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AuthApiTests(SecurityCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoToken_OnAWriteRoute_Is401Problem_ChangesNothing_AndLeavesOnlyAnAuditEvent()
    {
        var resource = $"guarded-{Guid.NewGuid():n}";
        using var anonymous = cluster.WithAuthorization("node1", null);

        using var response = await anonymous.PostAsJsonAsync("/locks/acquire", new { resource, client_id = "mallory", mode = "exclusive" }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Authentication required");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.False((await LockStateAsync()).GetProperty("locks").TryGetProperty(resource, out _), "a refused acquire took the lock");
        var audit = await AuditedAsync("node1", e => e.GetProperty("route").GetString() == "/locks/acquire" && e.GetProperty("status").GetInt32() == 401, "the refusal's audit event");
        Assert.Equal("refused", audit.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, audit.GetProperty("principal").ValueKind);
        Assert.Equal("node1", audit.GetProperty("node").GetString());
        Assert.Equal(32, audit.GetProperty("trace_id").GetString()!.Length);
    }

    [Theory]
    [InlineData("Bearer not-a-token-of-this-cluster", "not one this cluster knows")]
    [InlineData("Basic YWxhZGRpbjpvcGVuc2VzYW1l", "must be 'Bearer <token>'")]
    public async Task ABadToken_Is401_AndSaysWhy(string header, string detail)
    {
        using var http = cluster.WithAuthorization("node2", header);

        using var response = await http.GetAsync("/locks/state", Ct);

        var problem = await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Authentication required");
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReader_ReadsButCannotWrite()
    {
        using var reader = cluster.CreateHttpClient("node1", "reader");
        var resource = $"read-only-{Guid.NewGuid():n}";

        using var state = await reader.GetAsync("/locks/state", Ct);
        using var get = await reader.GetAsync($"/cache/get?key={resource}", Ct);
        using var write = await reader.PostAsJsonAsync("/locks/acquire", new { resource, client_id = "reader", mode = "exclusive" }, Ct);
        using var set = await reader.PostAsJsonAsync("/cache/set", new { key = resource, value = 1 }, Ct);

        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var problem = await AssertProblemAsync(write, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal("writer", problem.GetProperty("required_role").GetString());
        await AssertProblemAsync(set, HttpStatusCode.Forbidden, "Forbidden");
        Assert.False((await LockStateAsync()).GetProperty("locks").TryGetProperty(resource, out _));
        var audit = await AuditedAsync("node1", e => e.GetProperty("route").GetString() == "/locks/acquire" && e.GetProperty("status").GetInt32() == 403, "the 403's audit event");
        Assert.Equal("reader", audit.GetProperty("principal").GetString());
        Assert.Equal("reader", audit.GetProperty("role").GetString());
    }

    [Fact]
    public async Task AdminRoutes_RefuseAWriter_AndTakeAnAdmin()
    {
        using var writer = cluster.CreateHttpClient("node1", "writer");
        using var admin = cluster.CreateHttpClient("node1", "admin");
        var topic = $"redrive-{Guid.NewGuid():n}";

        using var refused = await writer.PostAsJsonAsync("/queue/redrive", new { topic }, Ct);
        using var transfer = await writer.PostAsJsonAsync("/raft/transfer-leadership", new { target = "node2" }, Ct);
        using var redriven = await admin.PostAsJsonAsync("/queue/redrive", new { topic }, Ct);

        Assert.Equal("admin", (await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "Forbidden")).GetProperty("required_role").GetString());
        await AssertProblemAsync(transfer, HttpStatusCode.Forbidden, "Forbidden");
        Assert.NotEqual(HttpStatusCode.Forbidden, redriven.StatusCode);
        Assert.True((int)redriven.StatusCode < 500, $"redrive answered {(int)redriven.StatusCode}");
    }

    [Fact]
    public async Task APrefixToken_ReachesOnlyNamesUnderItsPrefix()
    {
        using var billing = cluster.WithToken("node3", SecurityCluster.BillingToken);
        var id = Guid.NewGuid().ToString("n");

        using var own = await billing.PostAsJsonAsync("/locks/acquire", new { resource = $"billing/{id}", client_id = "b", mode = "exclusive" }, Ct);
        using var other = await billing.PostAsJsonAsync("/locks/acquire", new { resource = $"payroll/{id}", client_id = "b", mode = "exclusive" }, Ct);
        using var ownKey = await billing.PostAsJsonAsync("/cache/set", new { key = $"billing/{id}", value = 1 }, Ct);
        using var otherKey = await billing.GetAsync($"/cache/get?key=payroll/{id}", Ct);
        using var otherTopic = await billing.PostAsJsonAsync("/queue/publish", new { topic = $"payroll-{id}", payload = 1 }, Ct);
        using var everything = await billing.GetAsync("/locks/state", Ct);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownKey.StatusCode);
        var problem = await AssertProblemAsync(other, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Contains("'payroll/", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertProblemAsync(otherKey, HttpStatusCode.Forbidden, "Forbidden");
        await AssertProblemAsync(otherTopic, HttpStatusCode.Forbidden, "Forbidden");
        await AssertProblemAsync(everything, HttpStatusCode.Forbidden, "Forbidden");
        Assert.False((await LockStateAsync()).GetProperty("locks").TryGetProperty($"payroll/{id}", out _));
    }

    [Fact]
    public async Task APrefixToken_UsesItsOwnSessions_ReadsItsResourcesAndTheTopology()
    {
        using var billing = cluster.WithToken("node2", SecurityCluster.BillingToken);
        using var writer = cluster.CreateHttpClient("node2", "writer");
        var id = Guid.NewGuid().ToString("n");

        using var created = await billing.PostAsJsonAsync("/sessions", new { ttl_ms = 10_000 }, Ct);
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("session_id").GetInt64();
        using var held = await billing.PostAsJsonAsync("/locks/acquire", new { resource = $"billing/{id}", client_id = "b", mode = "exclusive", session_id = session }, Ct);
        using var outside = await billing.PostAsJsonAsync("/locks/acquire", new { resource = $"payroll/{id}", client_id = "b", mode = "exclusive", session_id = session }, Ct);
        using var own = await billing.GetAsync($"/locks/resource?name=billing/{id}", Ct);
        using var other = await billing.GetAsync($"/locks/resource?name=payroll/{id}", Ct);
        using var topology = await billing.GetAsync("/cluster/topology", Ct);
        using var notTheirs = await writer.PostAsJsonAsync("/sessions/keepalive", new { session_id = session }, Ct);
        using var kept = await billing.PostAsJsonAsync("/sessions/keepalive", new { session_id = session }, Ct);

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        await AssertProblemAsync(outside, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(session, Assert.Single((await own.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("holders").EnumerateArray()).GetProperty("session_id").GetInt64());
        await AssertProblemAsync(other, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(HttpStatusCode.OK, topology.StatusCode);
        Assert.Equal("urn:distsync:problem:session-not-found", (await AssertProblemAsync(notTheirs, HttpStatusCode.NotFound, "Session not found")).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs")]
    [InlineData("/cluster")]
    public async Task ProbesDocsAndTheClusterPage_NeedNoToken(string path)
    {
        using var anonymous = cluster.WithAuthorization("node1", null);

        using var response = await anonymous.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheOpenApiDocument_DeclaresTheBearerScheme_SoTheDocsUiAsksForIt()
    {
        using var anonymous = cluster.WithAuthorization("node1", null);

        var document = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json", Ct)).RootElement;

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("security")[0].TryGetProperty("bearer", out _));
    }

    [Fact]
    public async Task ABodyOverItsRouteLimit_Is413Problem_WithOrWithoutContentLength()
    {
        using var writer = cluster.CreateHttpClient("node2", "writer");
        var key = $"big-{Guid.NewGuid():n}";
        var huge = $"{{\"key\":\"{key}\",\"value\":\"{new string('x', 2 * 1024 * 1024)}\"}}";

        using var sized = await writer.PostAsync("/cache/set", new StringContent(huge, Encoding.UTF8, "application/json"), Ct);
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cache/set") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var streamed = await writer.SendAsync(request, Ct);

        var problem = await AssertProblemAsync(sized, HttpStatusCode.RequestEntityTooLarge, "Content Too Large");
        Assert.True(problem.GetProperty("limit_bytes").GetInt64() < huge.Length);
        await AssertProblemAsync(streamed, HttpStatusCode.RequestEntityTooLarge, "Content Too Large");
        using var reader = cluster.CreateHttpClient("node2", "reader");
        var read = JsonDocument.Parse(await reader.GetStringAsync($"/cache/get?key={key}", Ct)).RootElement;
        Assert.Equal(JsonValueKind.Null, read.GetProperty("value").ValueKind);
    }

    [Fact]
    public async Task ATokenOverItsRate_Gets429ProblemsWithRetryAfter()
    {
        using var slow = cluster.WithToken("node3", SecurityCluster.SlowToken);

        // Bursts of 10 sent together, until one is refused: requests one after another go over 3 a second only on a
        // machine that answers each in under a third of a second.
        var answers = new List<HttpResponseMessage>();
        var started = Stopwatch.GetTimestamp();
        for (var burst = 0; burst < 20 && !answers.Exists(a => a.StatusCode == HttpStatusCode.TooManyRequests); burst++)
        {
            answers.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => slow.GetAsync("/raft/status", Ct))));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);

        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{(int)a.StatusCode}"));
        // A bucket of 3 that starts full and gets 3 more at each refill, one a second: the first 3 pass, and no more
        // pass than the refills that can have fallen within the time the requests took allow.
        var refills = (int)elapsed.TotalSeconds + 1;
        Assert.InRange(answers.Count(a => a.StatusCode == HttpStatusCode.OK), 3, 3 + (3 * refills));
        Assert.NotEmpty(limited);
        await AssertProblemAsync(limited[0], HttpStatusCode.TooManyRequests, "Too many requests");
        Assert.True(limited[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {limited[0].Headers.RetryAfter}");
        answers.ForEach(a => a.Dispose());
    }

    [Fact]
    public async Task BlockingWaits_OverTheCapPerToken_Are429_AndTheOthersStillWait()
    {
        var resource = $"waits-{Guid.NewGuid():n}";
        using var writer = cluster.CreateHttpClient("node1", "writer");
        using var holder = await writer.PostAsJsonAsync("/locks/acquire", new { resource, client_id = "holder", mode = "exclusive", ttl_ms = 60_000 }, Ct);
        Assert.Equal(HttpStatusCode.OK, holder.StatusCode);

        // Two waits fill the cap of 2 (DistSync__Auth__MaxBlockingWaits); the third is refused at once.
        var waits = Enumerable.Range(0, 2).Select(i => writer.PostAsJsonAsync("/locks/acquire", new { resource, client_id = $"waiter{i}", mode = "exclusive", wait_ms = 30_000 }, Ct)).ToList();
        await Eventually.UntilAsync(async () => (await LockStateAsync()).GetProperty("locks").GetProperty(resource).GetProperty("waiters").GetArrayLength() == 2,
            TimeSpan.FromSeconds(10), "both waiters queued");
        using var third = await writer.PostAsJsonAsync("/locks/acquire", new { resource, client_id = "waiter2", mode = "exclusive", wait_ms = 30_000 }, Ct);
        var problem = await AssertProblemAsync(third, HttpStatusCode.TooManyRequests, "Too many requests");
        Assert.Contains("MaxBlockingWaits", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.NotNull(third.Headers.RetryAfter);

        // The two queued in whichever order they reached the leader: the first granted is released for the other.
        using var released = await writer.PostAsJsonAsync("/locks/release", new { resource, client_id = "holder" }, Ct);
        var firstDone = await Task.WhenAny(waits);
        using var first = await firstDone;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstIndex = waits.IndexOf(firstDone);
        using var release = await writer.PostAsJsonAsync("/locks/release", new { resource, client_id = $"waiter{firstIndex}" }, Ct);
        using var second = await waits[1 - firstIndex];
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task EveryWrite_IsAudited_WithWhoWhatWhereAndTrace_AndTheFileOutlivesARestart()
    {
        var resource = $"audited-{Guid.NewGuid():n}";
        using (var writer = cluster.CreateHttpClient("node3", "writer"))
        {
            using var acquired = await writer.PostAsJsonAsync("/locks/acquire", new { resource, client_id = "w", mode = "exclusive" }, Ct);
            Assert.Equal(HttpStatusCode.OK, acquired.StatusCode);
        }

        var audit = await AuditedAsync("node3", e => e.GetProperty("target").GetString() == resource, "the acquire's audit event");
        Assert.Equal("writer", audit.GetProperty("principal").GetString());
        Assert.Equal("writer", audit.GetProperty("role").GetString());
        Assert.Equal("POST", audit.GetProperty("method").GetString());
        Assert.Equal("/locks/acquire", audit.GetProperty("route").GetString());
        Assert.Equal(200, audit.GetProperty("status").GetInt32());
        Assert.Equal("ok", audit.GetProperty("outcome").GetString());
        Assert.Equal(32, audit.GetProperty("trace_id").GetString()!.Length);
        var before = File.ReadAllLines(cluster.AuditFile("node3")).Length;

        await cluster.StopAsync("node3");
        await cluster.StartAsync("node3");
        using (var writer = cluster.CreateHttpClient("node3", "writer"))
        {
            using var released = await writer.PostAsJsonAsync("/locks/release", new { resource, client_id = "w" }, Ct);
        }

        await AuditedAsync("node3", e => e.GetProperty("target").GetString() == resource && e.GetProperty("route").GetString() == "/locks/release",
            "the release's audit event after the restart");
        Assert.True(File.ReadAllLines(cluster.AuditFile("node3")).Length > before, "the audit file was not appended to");
        Assert.Contains(AuditEvents("node3"), e => e.ToString() == audit.ToString());
    }

    [Fact]
    public async Task Reads_AreNotAudited_ByDefault()
    {
        var key = $"unaudited-{Guid.NewGuid():n}";
        using var reader = cluster.CreateHttpClient("node2", "reader");
        using var writer = cluster.CreateHttpClient("node2", "writer");

        using var read = await reader.GetAsync($"/cache/get?key={key}", Ct);
        using var written = await writer.PostAsJsonAsync("/cache/set", new { key, value = 1 }, Ct);

        await AuditedAsync("node2", e => e.GetProperty("target").GetString() == key, "the set's audit event");
        Assert.Equal(["/cache/set"], AuditEvents("node2").Where(e => e.GetProperty("target").GetString() == key).Select(e => e.GetProperty("route").GetString()));
    }

    [Fact]
    public async Task APeerOfAnotherCluster_OrWithAnotherKey_IsRefused_AndTheNodeSaysSo_WhileThisClustersPeersGetIn()
    {
        var key = await cluster.ParameterAsync("cluster-key");
        var id = await cluster.ParameterAsync("cluster-id");
        var logs = new PeerRefusalTests.NodeLog(cluster, "node1");

        using var stranger = await PeerStatusAsync(key, "some-other-cluster");
        using var wrongKey = await PeerStatusAsync("not-the-key", id);
        using var member = await PeerStatusAsync(key, id);

        await AssertProblemAsync(stranger, HttpStatusCode.Forbidden, "Another cluster");
        await AssertProblemAsync(wrongKey, HttpStatusCode.Unauthorized, "Cluster key required");
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        await logs.WaitForAsync($"it is from cluster some-other-cluster, this node belongs to cluster {id}");
        await logs.WaitForAsync("wrong cluster key");
    }

    private async Task<HttpResponseMessage> PeerStatusAsync(string key, string clusterId)
    {
        using var http = cluster.CreateHttpClient("node1", role: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/internal/raft/status");
        request.Headers.Add(PeerCredentials.KeyHeader, key);
        request.Headers.Add(PeerCredentials.IdHeader, clusterId);
        return await http.SendAsync(request, Ct);
    }

    private async Task<JsonElement> AuditedAsync(string node, Func<JsonElement, bool> match, string what) =>
        (await Eventually.UntilAsync(() => Task.FromResult(AuditEvents(node).Where(match).Select(e => (JsonElement?)e).LastOrDefault()), TimeSpan.FromSeconds(10), what))!.Value;

    private IReadOnlyList<JsonElement> AuditEvents(string node)
    {
        var path = cluster.AuditFile(node);
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
    }

    private async Task<JsonElement> LockStateAsync()
    {
        using var admin = cluster.CreateHttpClient("node1");
        return JsonDocument.Parse(await admin.GetStringAsync("/locks/state", Ct)).RootElement;
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string title)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        return problem;
    }
}
