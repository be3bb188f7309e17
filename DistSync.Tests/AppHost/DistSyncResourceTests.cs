using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using DistSync.Hosting;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Tests.AppHost;

/// <summary>
/// The cluster as one Aspire resource, in the AppHost with an app added that references it and waits for it: the app
/// gets <c>ConnectionStrings__distsync</c> and starts once the cluster has a leader; the nodes are the resource's children.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DistSyncResourceTests(DistSyncResourceTests.Cluster cluster) : IClassFixture<DistSyncResourceTests.Cluster>
{
    private const string App = "app";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public sealed class Cluster() : ClusterFixture(new ClusterSettings { Configure = AddApp });

    [Fact]
    public async Task ReferencingApp_StartsOnceTheClusterHasALeader_WithItsConnectionString()
    {
        var app = await cluster.WaitForStateAsync(App, s => s == KnownResourceStates.Running, "running");
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);

        var distsync = Snapshot("distsync");
        var health = Assert.Single(distsync.HealthReports, r => r.Name == "distsync-leader");
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains($"{leader.NodeId} leads", health.Description, StringComparison.Ordinal);
        var variable = Assert.Single(app.Snapshot.EnvironmentVariables, v => v.Name == "ConnectionStrings__distsync");
        Assert.Equal(ExpectedConnectionString(), variable.Value);
        Assert.Equal(cluster.Tokens["writer"], Assert.Single(app.Snapshot.EnvironmentVariables, v => v.Name == "DISTSYNC_TOKEN").Value);
        Assert.StartsWith("http://127.0.0.1:", Assert.Single(app.Snapshot.EnvironmentVariables, v => v.Name == "DISTSYNC_ENDPOINTS").Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionString_NamesEveryNodeOnIPv4Loopback_AndTheWriterToken()
    {
        var connectionString = await cluster.App.GetConnectionStringAsync("distsync", TestContext.Current.CancellationToken);

        Assert.Equal(ExpectedConnectionString(), connectionString);
        Assert.Contains($"Token={cluster.Tokens["writer"]}", connectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_IsRunningWithItsNodesAsChildren_AndShowsWhoLeads()
    {
        var leader = await RaftProbe.AgreedLeaderAsync(cluster, cluster.NodeNames, Patience);

        await Eventually.UntilAsync(() => Property("distsync", "raft.leader") == leader.NodeId, Patience, $"the cluster resource names {leader.NodeId} leader");
        var distsync = Snapshot("distsync");
        Assert.Equal(KnownResourceStates.Running, distsync.State?.Text);
        Assert.Equal(DistSyncResource.ResourceType, distsync.ResourceType);
        Assert.Equal("3 of 3 running", Property("distsync", "distsync.nodes"));
        Assert.Equal(leader.Term.ToString(CultureInfo.InvariantCulture), Property("distsync", "raft.term"));
        foreach (var node in cluster.NodeNames)
        {
            Assert.Equal("distsync", Property(node, "resource.parentName"));
        }
    }

    private static void AddApp(IDistributedApplicationTestingBuilder builder)
    {
        var distsync = builder.CreateResourceBuilder(builder.Resources.OfType<DistSyncResource>().Single());
        builder.AddExecutable(App, "sleep", Path.GetTempPath(), "600")
            .WithReference(distsync)
            .WaitFor(distsync);
    }

    private string ExpectedConnectionString()
    {
        var endpoints = cluster.NodeNames.Select(n => $"http://127.0.0.1:{cluster.App.GetEndpoint(n, DistSyncResource.NodeEndpointName).Port}");
        return $"Endpoints={string.Join(',', endpoints)};Token={cluster.Tokens["writer"]}";
    }

    private CustomResourceSnapshot Snapshot(string resource)
    {
        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState(resource, out var current), $"{resource} has no state");
        return current.Snapshot;
    }

    private string? Property(string resource, string name) =>
        Convert.ToString(Snapshot(resource).Properties.FirstOrDefault(p => p.Name == name)?.Value, CultureInfo.InvariantCulture);
}
