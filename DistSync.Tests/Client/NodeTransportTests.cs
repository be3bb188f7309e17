using DistSync.Client;

namespace DistSync.Tests.Client;

/// <summary>How the client counts the nodes it knows: each once, whatever name of this machine it goes by.</summary>
public sealed class NodeTransportTests
{
    [Fact]
    public void UseNodes_ANodeConfiguredAs127001_AndNamedLocalhostByTheTopology_IsOneNode()
    {
        using var transport = new NodeTransport(new DistSyncClientOptions
        {
            Endpoints = [new Uri("http://127.0.0.1:8001"), new Uri("http://10.0.0.9:8001")],
        });

        transport.UseNodes([new Uri("http://localhost:8001"), new Uri("http://localhost:8002"), new Uri("http://localhost:8003")]);

        Assert.Equal(["http://localhost:8001/", "http://localhost:8002/", "http://localhost:8003/", "http://10.0.0.9:8001/"],
            transport.Nodes.Select(n => n.ToString()));
    }

    [Fact]
    public async Task ALostAnswer_MayHaveAppliedAWrite_ButNeverARead()
    {
        using var transport = new NodeTransport(new DistSyncClientOptions
        {
            Endpoints = [new Uri("http://127.0.0.1:1")],
            RetryFor = TimeSpan.FromMilliseconds(100),
        }, new AnswerLost());
        var ct = TestContext.Current.CancellationToken;

        var read = await Assert.ThrowsAsync<DistSyncUnavailableException>(() => transport.SendAsync(HttpMethod.Get, "/cache/get?key=k", null, Retry.Safe, "cache.get", ct));
        var write = await Assert.ThrowsAsync<DistSyncUnavailableException>(() => transport.SendAsync(HttpMethod.Post, "/cache/set", new { key = "k", value = 1 }, Retry.Safe, "cache.set", ct));

        Assert.False(read.MayHaveBeenApplied);
        Assert.True(write.MayHaveBeenApplied);
    }

    [Theory]
    [InlineData("http://localhost:8001", "http://127.0.0.1:8001", true)]
    [InlineData("http://[::1]:8001", "http://LOCALHOST:8001", true)]
    [InlineData("http://localhost:8001", "http://127.0.0.1:8002", false)]
    [InlineData("http://localhost:8001", "https://localhost:8001", false)]
    [InlineData("http://10.0.0.9:8001", "http://127.0.0.1:8001", false)]
    public void SameNode_SameSchemeAndPort_AndOneHostOrTwoNamesOfThisMachine(string a, string b, bool same) =>
        Assert.Equal(same, NodeTransport.SameNode(new Uri(a), new Uri(b)));

    /// <summary>Every request reaches the node, and its answer is lost on the way back.</summary>
    private sealed class AnswerLost : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "the answer was lost");
    }
}
