using System.Net;
using System.Text;
using DistSync.Node.Hosting;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Security;

/// <summary>
/// Only peers speak for the cluster: a node with peers needs the cluster key to start, and a request to an
/// <c>/internal</c> route without it is refused before its body is read. A node in this process, so the test sees
/// what the node read and logged.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterKeyTests
{
    private const string Key = "cluster-key-0123456789abcdef";
    private const string Peer = "services:node2:http:0";

    private static readonly string[] BodyRoutes = ["/internal/queue/publish", "/internal/cache/home", "/internal/raft/stream"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_WithPeersButNoClusterKey_FailsNamingTheVariable()
    {
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?> { [Peer] = "http://127.0.0.1:9" });
        });

        var invalid = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("DistSync__ClusterKey", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("node2", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AloneWithoutClusterKey_Starts_AndTakesNoPeerRequests()
    {
        await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?>());
        using var http = node.CreateClient();

        using var status = await http.GetAsync(new Uri("/internal/raft/status", UriKind.Relative), Ct);

        await AssertProblemAsync(status, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task InternalRoutes_WrongOrMissingKey_AreRefusedBeforeTheBodyIsRead()
    {
        await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?> { [Peer] = "http://127.0.0.1:9", ["DistSync:ClusterKey"] = Key });
        using var http = node.CreateClient();

        foreach (var route in BodyRoutes)
        {
            foreach (var key in new[] { null, "not-the-key", Key[..^1] })
            {
                // Not JSON: had the node bound it, the answer would be a 400.
                using var refused = await PostAsync(http, route, key, "{ this is not json");

                await AssertProblemAsync(refused, HttpStatusCode.Unauthorized, $"{route} with key '{key}'");
                Assert.True(node.Reads.From(route) == 0, $"{route} with key '{key}': the node read {node.Reads.From(route)} bytes of the body");
            }
        }

        // With the key the same body is read, and refused for what it is: the counting sees reads.
        using var admitted = await PostAsync(http, BodyRoutes[0], Key, "{ this is not json");
        await AssertProblemAsync(admitted, HttpStatusCode.BadRequest, "with the key");
        Assert.True(node.Reads.From(BodyRoutes[0]) > 0, "the admitted body was not read");
    }

    [Fact]
    public async Task Logs_NeverHoldAClientTokenOrTheClusterKeyWhole()
    {
        var node = await InProcessNode.StartAsync(new Dictionary<string, string?> { [Peer] = "http://127.0.0.1:9", ["DistSync:ClusterKey"] = Key });
        await using (node)
        {
            using var http = node.CreateClient();
            foreach (var bearer in new[] { InProcessNode.AdminToken, InProcessNode.AdminToken[..^1] })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/locks/state", UriKind.Relative));
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
                using var _ = await http.SendAsync(request, Ct);
            }

            foreach (var key in new[] { Key, Key[..^1] })
            {
                using var _ = await PostAsync(http, "/internal/queue/publish", key, "{}");
            }
        }

        // Stopped: whatever the node logs on the way out is in too. Every level, though a node exports Information and up.
        Assert.NotEmpty(node.Logs.Lines);
        Assert.DoesNotContain(node.Logs.Lines, l => l.Contains(InProcessNode.AdminToken[..^1], StringComparison.Ordinal));
        Assert.DoesNotContain(node.Logs.Lines, l => l.Contains(Key[..^1], StringComparison.Ordinal));
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string route, string? key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(route, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add(PeerCredentials.KeyHeader, key);
        }

        return await http.SendAsync(request, Ct);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? what = null)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
