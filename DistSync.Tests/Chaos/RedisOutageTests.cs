using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Chaos;

/// <summary>
/// Redis stalled and then killed under a real cluster, as the fault harness's Redis nemesis does it. A stalled Redis
/// makes the queue and the cache answer 503 problem+json (retryable) once the Redis client gives up (a consume may
/// instead find nothing it can reach and say "empty"), never a 500 (the
/// first chaos run found the queue answering an ack with a 500 when Redis went away); a killed Redis is started again
/// by the AppHost, and everything works again.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RedisOutageTests
{
    [Fact]
    public async Task RedisStalled_QueueAndCacheAnswer503Problems_RedisKilled_TheAppHostRestartsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = Path.Combine(Path.GetTempPath(), "distsync-tests", $"redis-outage-{Guid.NewGuid():n}.log");
        await using (var cluster = await ManagedCluster.StartAsync(3, log, TextWriter.Null, ct))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            ApiToken.Apply(http);
            var node = cluster.Urls[0];
            var topic = $"outage-{Guid.NewGuid():n}";
            var processes = new ClusterProcesses(cluster.DataDir);
            var redis = processes.Redis() ?? throw new InvalidOperationException("no Redis process found for " + cluster.DataDir);
            var first = await RoundAsync(http, node, topic, 0, ct);
            Assert.All(first, a => Assert.Equal(HttpStatusCode.OK, a.Status));
            // A message ready to take, so the stalled consume must ask Redis (an empty topic is answered without it).
            Assert.Equal(HttpStatusCode.OK, (await SendAsync("publish", http.PostAsJsonAsync(new Uri(node, "/queue/publish"), new { topic, payload = "ready" }, ct), ct)).Status);

            LinuxProcesses.Signal([redis], LinuxProcesses.SigStop);
            Answer[] stalled;
            try
            {
                stalled = await Task.WhenAll(
                    SendAsync("publish", http.PostAsJsonAsync(new Uri(node, "/queue/publish"), new { topic, payload = "stalled" }, ct), ct),
                    SendAsync("consume", http.PostAsJsonAsync(new Uri(node, "/queue/consume"), new { topic, visibility_timeout_sec = 30 }, ct), ct),
                    SendAsync("cache set", http.PostAsJsonAsync(new Uri(node, "/cache/set"), new { key = $"{topic}-stalled", value = 1 }, ct), ct),
                    SendAsync("cache get", http.GetAsync(new Uri(node, $"/cache/get?key={topic}-never-set"), ct), ct));
            }
            finally
            {
                LinuxProcesses.Signal([redis], LinuxProcesses.SigCont);
            }

            // A consume may also say "empty": like an SQS short poll, it answers from the partitions it could reach.
            Assert.All(stalled.Where(a => !(a.Request == "consume" && a.Status == HttpStatusCode.OK && a.Body?.GetProperty("status").GetString() == "empty")), Refused);
            Assert.Equal(3, stalled.Count(a => a.Status == HttpStatusCode.ServiceUnavailable && a.Request != "consume"));

            Assert.Equal(redis, processes.KillRedis());
            var answers = new List<Answer>();
            var back = false;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            for (var i = 1; !back && DateTime.UtcNow < until; i++)
            {
                var round = await RoundAsync(http, node, topic, i, ct);
                answers.AddRange(round);
                back = round.Count == 5 && round.All(a => a.Status == HttpStatusCode.OK) && processes.Redis() is { } now && now != redis;
            }

            Assert.True(back, "Redis came back and a whole round succeeded within 60 s; answers: " + string.Join("; ", answers.TakeLast(10).Select(a => $"{a.Request} {(int)a.Status}")));
            Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), Refused);
        }

        File.Delete(log);
    }

    /// <summary>Publish, consume and ack, then a cache write and a read.</summary>
    private static async Task<List<Answer>> RoundAsync(HttpClient http, Uri node, string topic, int i, CancellationToken ct)
    {
        var round = new List<Answer>
        {
            await SendAsync("publish", http.PostAsJsonAsync(new Uri(node, "/queue/publish"), new { topic, payload = $"m{i}" }, ct), ct),
            await SendAsync("consume", http.PostAsJsonAsync(new Uri(node, "/queue/consume"), new { topic, visibility_timeout_sec = 30 }, ct), ct),
        };
        if (round[1].Body is { } taken && taken.TryGetProperty("receipt", out var receipt))
        {
            round.Add(await SendAsync("ack", http.PostAsJsonAsync(new Uri(node, "/queue/ack"), new { topic, id = taken.GetProperty("id").GetString(), receipt = receipt.GetString() }, ct), ct));
        }

        round.Add(await SendAsync("cache set", http.PostAsJsonAsync(new Uri(node, "/cache/set"), new { key = $"{topic}-k", value = i }, ct), ct));
        round.Add(await SendAsync("cache get", http.GetAsync(new Uri(node, $"/cache/get?key={topic}-k"), ct), ct));
        return round;
    }

    private static void Refused(Answer answer)
    {
        Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable, $"{answer.Request} answered {(int)answer.Status}: {answer.Text}");
        Assert.Equal("application/problem+json", answer.ContentType);
        // Every 503 says whether the change may have happened; only one that certainly did not is marked retryable.
        var mayHaveBeenApplied = answer.Body!.Value.GetProperty("may_have_been_applied").GetBoolean();
        Assert.Equal(!mayHaveBeenApplied, answer.Body.Value.TryGetProperty("retryable", out var retryable) && retryable.GetBoolean());
    }

    private sealed record Answer(string Request, HttpStatusCode Status, string? ContentType, string Text, JsonElement? Body);

    private static async Task<Answer> SendAsync(string name, Task<HttpResponseMessage> sending, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await sending;
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            return new Answer(name, 0, null, $"no answer: {ex.Message}", null);
        }

        using var _ = response;
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonElement? body = null;
        try
        {
            body = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            // not JSON: the assertions below name it
        }

        return new Answer(name, response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, body);
    }
}
