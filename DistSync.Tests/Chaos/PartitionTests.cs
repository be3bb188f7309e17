using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Cluster;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Chaos;

/// <summary>
/// A real cluster, started through the AppHost as <c>dotnet run</c> starts it, with every peer link routed through the
/// harness's proxies (<c>DistSync:PeerLinks</c>): cutting the leader's links partitions it for real, and healing ends it.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PartitionTests
{
    [Fact]
    public async Task IsolatedLeader_TheOthersElectANewOne_AndAfterHealingAllAgreeAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        ProxyMesh? mesh = null;
        var log = Path.Combine(Path.GetTempPath(), "distsync-tests", $"partition-{Guid.NewGuid():n}.log");
        var cluster = await ManagedCluster.StartAsync(3, log, TextWriter.Null, ct, basePort =>
        {
            _ = mesh?.DisposeAsync(); // a second start of the AppHost gets proxies of its own
            mesh = ProxyMesh.Create(Enumerable.Range(1, 3).ToDictionary(i => $"node{i}", i => basePort + i - 1));
            return mesh.AppHostArguments();
        });
        var links = mesh!;
        await using (links)
        await using (cluster)
        {
            var nodes = cluster.Urls.Select((url, i) => (Name: $"node{i + 1}", Url: url)).ToList();
            var before = (await RaftProbe.StatusAsync(nodes[0].Url))!;
            var leader = before.LeaderId!;
            Assert.True(links.Links.Where(l => l.From == leader).All(l => l.OpenConnections > 0), "the leader's traffic goes through its proxies: " + string.Join(", ", links.Links));

            links.Isolate(leader);

            var others = nodes.Where(n => n.Name != leader).ToList();
            var after = await Eventually.UntilAsync(async () =>
            {
                var statuses = await Task.WhenAll(others.Select(n => RaftProbe.StatusAsync(n.Url)));
                return statuses.All(s => s is not null) && statuses.Select(s => s!.LeaderId).Distinct().Count() == 1
                    && statuses[0]!.LeaderId is { } l && l != leader && statuses[0]!.Term > before.Term ? statuses[0] : null;
            }, TimeSpan.FromSeconds(30), $"the majority without {leader} elects a new leader");
            var cut = (await RaftProbe.StatusAsync(nodes.Single(n => n.Name == leader).Url))!;
            Assert.NotEqual(after!.LeaderId, cut.LeaderId); // the isolated node does not follow the new leader: it cannot hear it

            links.Heal();

            await Eventually.UntilAsync(async () =>
            {
                var statuses = await Task.WhenAll(nodes.Select(n => RaftProbe.StatusAsync(n.Url)));
                return statuses.All(s => s is not null && s.LeaderId is not null && s.Term >= after.Term) && statuses.Select(s => s!.LeaderId).Distinct().Count() == 1;
            }, TimeSpan.FromSeconds(30), "all three agree on one leader after healing");
        }

        File.Delete(log);
    }
}
