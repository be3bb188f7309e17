using System.Net;
using System.Net.Http.Headers;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Queue;

/// <summary>
/// Topics and partitions are bounded per token: past a bound a publish that would create a topic is a 409 problem
/// naming the bound, and nothing is created; other tokens and existing topics are untouched. A node in this process
/// with two writer tokens of its own, so the shared cluster's tokens keep their budgets.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueBoundsTests
{
    private const string TenantA = "tenant-a-secret-0123456789";
    private const string TenantB = "tenant-b-secret-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<InProcessNode> StartAsync() => InProcessNode.StartAsync(new Dictionary<string, string?>
    {
        ["DistSync:Auth:Tokens:tenant-a:Secret"] = TenantA,
        ["DistSync:Auth:Tokens:tenant-a:Role"] = "writer",
        ["DistSync:Auth:Tokens:tenant-b:Secret"] = TenantB,
        ["DistSync:Auth:Tokens:tenant-b:Role"] = "writer",
    });

    private static QueueClient Client(InProcessNode node, string token)
    {
        var http = node.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new QueueClient(http);
    }

    [Fact]
    public async Task Publish_TokenPastItsTopicBound_409NamingTheBound_NothingCreated_OtherTokensUnaffected()
    {
        await using var node = await StartAsync();
        var a = Client(node, TenantA);
        var b = Client(node, TenantB);
        var run = Guid.NewGuid().ToString("n")[..8];
        await Eventually.UntilAsync(async () => (await a.PublishAsync($"{run}-a-0", "0", partitions: 1)).Status == "queued" ? "" : null,
            TimeSpan.FromSeconds(30), "the node to lead and take a publish");

        // 1,000 topics is the bound for one token; creating them 8 at a time.
        var codes = new List<HttpStatusCode>();
        foreach (var chunk in Enumerable.Range(1, 999).Chunk(8))
        {
            codes.AddRange((await Task.WhenAll(chunk.Select(i => a.PublishAsync($"{run}-a-{i}", "0", partitions: 1)))).Select(r => r.Code));
        }

        var past = await a.PublishAsync($"{run}-a-1000", "0", partitions: 1);
        var stats = await a.GetAsync($"/queue/stats?topic={run}-a-1000");
        var existing = await a.PublishAsync($"{run}-a-7", "1");
        var other = await b.PublishAsync($"{run}-b-0", "0", partitions: 1);
        TestContext.Current.TestOutputHelper?.WriteLine($"the 1,001st topic of one token: {(int)past.Code} {past.Text}");

        Assert.All(codes, c => Assert.Equal(HttpStatusCode.OK, c));
        Assert.Equal(HttpStatusCode.Conflict, past.Code);
        Assert.Equal("Limit reached", past.Body.GetProperty("title").GetString());
        Assert.Equal("topics_per_token", past.Body.GetProperty("limit").GetString());
        Assert.Equal(1000, past.Body.GetProperty("max").GetInt32());
        Assert.Contains("tenant-a", past.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, stats.Code);
        Assert.Equal("queued", existing.Status);
        Assert.Equal("queued", other.Status);
    }

    [Fact]
    public async Task Publish_TokenPastItsPartitionBound_409NamingTheBound_NothingCreated()
    {
        await using var node = await StartAsync();
        var a = Client(node, TenantA);
        var b = Client(node, TenantB);
        var run = Guid.NewGuid().ToString("n")[..8];
        await Eventually.UntilAsync(async () => (await a.PublishAsync($"{run}-a-0", "0", partitions: 256)).Status == "queued" ? "" : null,
            TimeSpan.FromSeconds(30), "the node to lead and take a publish");

        // 31 topics of 256 partitions are 7,936; a 32nd would make 8,192, past the 8,000 one token may have.
        var codes = new List<HttpStatusCode>();
        for (var i = 1; i < 31; i++)
        {
            codes.Add((await a.PublishAsync($"{run}-a-{i}", "0", partitions: 256)).Code);
        }

        var past = await a.PublishAsync($"{run}-a-31", "0", partitions: 256);
        var stats = await a.GetAsync($"/queue/stats?topic={run}-a-31");
        var small = await a.PublishAsync($"{run}-a-small", "0", partitions: 64);
        var other = await b.PublishAsync($"{run}-b-0", "0", partitions: 256);
        TestContext.Current.TestOutputHelper?.WriteLine($"one token's partitions past 8,000: {(int)past.Code} {past.Text}");

        Assert.All(codes, c => Assert.Equal(HttpStatusCode.OK, c));
        Assert.Equal(HttpStatusCode.Conflict, past.Code);
        Assert.Equal("Limit reached", past.Body.GetProperty("title").GetString());
        Assert.Equal("partitions_per_token", past.Body.GetProperty("limit").GetString());
        Assert.Equal(8000, past.Body.GetProperty("max").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, stats.Code);
        Assert.Equal("queued", small.Status); // 7,936 + 64 = 8,000: at the bound, not past it
        Assert.Equal("queued", other.Status);
    }
}
