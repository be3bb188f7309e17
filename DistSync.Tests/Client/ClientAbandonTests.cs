using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using DistSync.Client;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Client;

/// <summary>
/// An acquire whose answer never came may still be granted under the client's session, where nothing would end it until
/// the session does: the client releases that acquire's holder itself. The cluster here is a scripted handler, since what
/// is tested is the client's own logic: which requests it sends after an answer is lost, and after one that was not.
/// </summary>
public sealed class ClientAbandonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAcquireThatMayHaveBeenGranted_IsReleasedByItsHolder_AtOnceAndOnceMoreLater()
    {
        var node = new ScriptedNode(acquire: _ => throw new HttpRequestException(HttpRequestError.ResponseEnded, "the answer was lost"));
        await using var client = Client(node);

        var failure = await Assert.ThrowsAsync<DistSyncUnavailableException>(() => client.Locks.TryAcquireAsync("orders", cancellationToken: Ct));

        Assert.True(failure.MayHaveBeenApplied);
        await Eventually.UntilAsync(() => node.Releases.Count >= 2, TimeSpan.FromSeconds(10), "two releases of the abandoned holder");
        var holder = Assert.Single(node.Acquires.Select(a => a.GetProperty("client_id").GetString()).Distinct());
        Assert.All(node.Releases, release =>
        {
            Assert.Equal(("orders", holder), (release.GetProperty("resource").GetString(), release.GetProperty("client_id").GetString()));
            Assert.False(release.TryGetProperty("fencing_token", out var token) && token.ValueKind != JsonValueKind.Null, "an abandoned holder is released by its id alone");
        });
    }

    [Fact]
    public async Task AnAcquireAnsweredBusy_SendsNoRelease()
    {
        var node = new ScriptedNode(acquire: _ => (HttpStatusCode.Conflict, """{"status":"busy"}"""));
        await using var client = Client(node);

        var hold = await client.Locks.TryAcquireAsync("orders", cancellationToken: Ct);
        // Long past when an abandoned acquire's second release would have gone (the request timeout).
        await Task.Delay(TimeSpan.FromMilliseconds(600), Ct);

        Assert.Null(hold);
        Assert.Single(node.Acquires);
        Assert.Empty(node.Releases);
    }

    [Fact]
    public async Task AReleaseThatCouldNotBeSent_Throws_AndTheHolderIsReleasedOnceTheClusterAnswers()
    {
        var reachable = false;
        var node = new ScriptedNode(
            acquire: _ => (HttpStatusCode.OK, """{"status":"acquired","fencing_token":5}"""),
            release: _ => Volatile.Read(ref reachable) ? (HttpStatusCode.OK, """{"status":"released"}""") : throw new HttpRequestException(HttpRequestError.ResponseEnded, "lost"));
        await using var client = Client(node);
        var hold = await client.Locks.TryAcquireAsync("orders", cancellationToken: Ct);
        Assert.NotNull(hold);

        var failure = await Assert.ThrowsAsync<DistSyncUnavailableException>(() => hold.DisposeAsync().AsTask());
        Volatile.Write(ref reachable, true);

        Assert.True(failure.MayHaveBeenApplied);
        await Eventually.UntilAsync(() => node.Answered.Any(r => !r.TryGetProperty("fencing_token", out var t) || t.ValueKind == JsonValueKind.Null),
            TimeSpan.FromSeconds(10), "the holder released by its id once the cluster answered");
        Assert.All(node.Releases, r => Assert.Equal(hold.HolderId, r.GetProperty("client_id").GetString()));
    }

    private static DistSyncClient Client(ScriptedNode node) => new(new DistSyncClientOptions
    {
        Endpoints = [new Uri("http://127.0.0.1:1")],
        DiscoverNodes = false,
        RequestTimeout = TimeSpan.FromMilliseconds(200),
        RetryFor = TimeSpan.FromMilliseconds(300),
    }, node);

    /// <summary>Answers sessions; acquires and releases as the test says (a release is answered by default). Records what the client sent.</summary>
    private sealed class ScriptedNode(Func<JsonElement, (HttpStatusCode, string)> acquire, Func<JsonElement, (HttpStatusCode, string)>? release = null) : HttpMessageHandler
    {
        public ConcurrentQueue<JsonElement> Acquires { get; } = new();

        /// <summary>Every release the client sent.</summary>
        public ConcurrentQueue<JsonElement> Releases { get; } = new();

        /// <summary>The releases that got an answer.</summary>
        public ConcurrentQueue<JsonElement> Answered { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? default : JsonSerializer.Deserialize<JsonElement>(await request.Content.ReadAsStringAsync(cancellationToken));
            var (status, json) = request.RequestUri!.AbsolutePath switch
            {
                "/sessions" => (HttpStatusCode.OK, """{"status":"open","session_id":7,"ttl_ms":15000}"""),
                "/sessions/keepalive" or "/sessions/7" => (HttpStatusCode.OK, """{"status":"alive","session_id":7}"""),
                "/locks/acquire" => Acquire(body),
                "/locks/release" => Release(body),
                var path => (HttpStatusCode.NotFound, $$"""{"title":"no route {{path}}"}"""),
            };
            return new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }

        private (HttpStatusCode, string) Acquire(JsonElement body)
        {
            Acquires.Enqueue(body);
            return acquire(body);
        }

        private (HttpStatusCode, string) Release(JsonElement body)
        {
            Releases.Enqueue(body);
            var answer = release?.Invoke(body) ?? (HttpStatusCode.OK, """{"status":"released"}""");
            Answered.Enqueue(body);
            return answer;
        }
    }
}
