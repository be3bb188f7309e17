using System.Net;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.Node.Cache;
using DistSync.Node.Hosting;
using DistSync.Node.Queue;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Chaos;

/// <summary>
/// A peer whose connections are reset as soon as they are accepted (a partition, a node dying mid-connect) is an
/// unreachable peer to the cache's and the queue's peer clients. The chaos harness found HttpClient letting a raw
/// SocketException ("Transport endpoint is not connected") escape in that moment, which nodes answered with a 500.
/// </summary>
public sealed class PeerResetTests : IAsyncDisposable
{
    /// <summary>Enough connections that the reset lands at every point of the connect at least once.</summary>
    private const int Attempts = 300;

    private readonly LinkProxy _cut = new("node1", "node2", new IPEndPoint(IPAddress.Loopback, 9));

    public PeerResetTests() => _cut.Cut();

    [Fact]
    public async Task CachePeers_AResetConnection_IsAnUnreachablePeer_NeverAnotherException()
    {
        var (peers, options) = Node();
        using var cache = new HttpCachePeers(peers, Credentials.Established(options));

        for (var i = 0; i < Attempts; i++)
        {
            var error = await Record.ExceptionAsync(() => cache.AskHomeAsync("node2", new HomeRequest(HomeRequestKind.Read, "k", "node1"), TestContext.Current.CancellationToken));
            Assert.IsType<CachePeerUnreachableException>(error);
        }
    }

    [Fact]
    public async Task QueueForwarder_AResetConnection_IsAnUnreachablePeer_NeverAnotherException()
    {
        var (peers, options) = Node();
        using var forwarder = new QueueForwarder(peers, Credentials.Established(options));

        for (var i = 0; i < Attempts; i++)
        {
            var error = await Record.ExceptionAsync(() => forwarder.ChangeAsync("node2", new ForwardChange(ChangeOp.Ack, "t", 0, "id", 1, 0, 0), TestContext.Current.CancellationToken));
            Assert.IsType<QueuePeerUnreachableException>(error);
        }
    }

    public ValueTask DisposeAsync() => _cut.DisposeAsync();

    private (PeerDirectory Peers, IOptions<NodeOptions> Options) Node()
    {
        var options = Options.Create(new NodeOptions { NodeId = "node1", ClusterKey = "k" });
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:node2:http:0"] = _cut.Address.ToString(),
        }).Build();
        return (new PeerDirectory(configuration, options), options);
    }
}
