using Aspire.Hosting.ApplicationModel;
using DistSync.Node.Hosting;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DistSync.Tests.Security;

/// <summary>
/// A node whose data folder is another cluster's does not start, one whose folder was wiped opens no log while the
/// cluster still counts it as a voter, and each says why and what to do (the peers' side, refusing a stranger's
/// requests, is in <see cref="AuthApiTests"/>; adding a wiped node back, in MembershipChangeTests).
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PeerRefusalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ANodeOnAnotherClustersFolder_DoesNotStart_AWipedOneWaitsToBeRemoved_BothSayWhy_AndAuthOffIsSaidAtStart()
    {
        // Auth off, too: the test also checks that a node says so at start and takes a request with no token.
        await using var cluster = await ClusterFixture.StartAsync(new ClusterSettings { ClusterId = "cluster-a", AuthOff = true });
        await new NodeLog(cluster, "node1").WaitForAsync("Authentication is OFF");
        using (var anonymous = cluster.CreateHttpClient("node1", role: null))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await anonymous.GetAsync("/locks/state", Ct)).StatusCode);
        }

        // The AppHost marks the cluster formed once every node has been up; from then on an empty folder is a lost one.
        await Eventually.UntilAsync(() => File.Exists(Path.Combine(cluster.DataDir, "cluster-formed")), TimeSpan.FromSeconds(30), "the cluster marked formed");

        await cluster.StopAsync("node3");
        Directory.Delete(Path.Combine(cluster.DataDir, "node3"), recursive: true);
        var wiped = new NodeLog(cluster, "node3");
        await cluster.CommandAsync("node3", KnownResourceCommands.StartCommand);
        await wiped.WaitForAsync("the cluster still counts node3 as a voter");
        Assert.Equal(KnownResourceStates.Running, cluster.StateOf("node3"));
        Assert.False(File.Exists(Path.Combine(cluster.DataDir, "node3", ClusterIdentity.FileName)), "the wiped node wrote an id");
        Assert.False(Directory.Exists(Path.Combine(cluster.DataDir, "node3", "raft")), "the wiped node opened a Raft log");
        await cluster.StopAsync("node3");

        await cluster.StopAsync("node2");
        await File.WriteAllTextAsync(Path.Combine(cluster.DataDir, "node2", ClusterIdentity.FileName), "cluster-b\n", Ct);
        var foreign = new NodeLog(cluster, "node2");
        await cluster.CommandAsync("node2", KnownResourceCommands.StartCommand);
        var ended = await cluster.WaitForStateAsync("node2", s => s is "Exited" or "Finished" or "FailedToStart", "refusing to start");
        Assert.Equal(2, ended.Snapshot.ExitCode);
        await foreign.WaitForAsync("belongs to cluster cluster-b, but this node is configured for cluster cluster-a");
    }

    /// <summary>A node's console log as Aspire collects it, from the moment this is made.</summary>
    internal sealed class NodeLog
    {
        private readonly List<string> _lines = [];
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        public NodeLog(ClusterFixture cluster, string node)
        {
            var logs = cluster.App.Services.GetRequiredService<ResourceLoggerService>();
            // Logs are kept by DCP's id for the resource (node1-abcdefgh), not by its name.
            var id = cluster.App.ResourceNotifications.TryGetCurrentState(node, out var current) ? current.ResourceId : node;
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logs.WatchAsync(id).WithCancellation(_stop.Token))
                    {
                        lock (_lines)
                        {
                            _lines.AddRange(batch.Select(l => l.Content));
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // The test is over.
                }
            });
        }

        public Task WaitForAsync(string text) => Eventually.UntilAsync(() =>
        {
            lock (_lines)
            {
                return _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
            }
        }, TimeSpan.FromSeconds(30), $"a log line with '{text}'");
    }
}
