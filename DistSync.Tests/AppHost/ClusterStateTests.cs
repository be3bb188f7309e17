using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using DistSync.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DistSync.Tests.AppHost;

/// <summary>How the cluster resource's state and health follow from its nodes (no processes).</summary>
public sealed class ClusterStateTests
{
    [Fact]
    public void StateOf_EveryNodeRunning_IsRunningAndGreen()
    {
        var state = ClusterState.StateOf([Node("Running"), Node("Running"), Node("Running")]);

        Assert.Equal((KnownResourceStates.Running, KnownResourceStateStyles.Success), (state.Text, state.Style));
    }

    [Fact]
    public void StateOf_SomeNodesDown_IsRunningButAmber()
    {
        var state = ClusterState.StateOf([Node("Running"), Node("Exited", exitCode: 137), Node("Starting")]);

        Assert.Equal((KnownResourceStates.Running, KnownResourceStateStyles.Warn), (state.Text, state.Style));
    }

    [Fact]
    public void StateOf_NoneRunningYet_IsStarting()
    {
        var state = ClusterState.StateOf([Node("Waiting"), null, Node("Starting")]);

        Assert.Equal(KnownResourceStates.Starting, state.Text);
    }

    [Theory]
    [InlineData(0, 0, "Finished")] // every node stopped on purpose
    [InlineData(0, 137, "Exited")] // one was killed
    public void StateOf_EveryNodeEnded_IsFinishedOrExited(int firstExit, int secondExit, string expected)
    {
        var state = ClusterState.StateOf([Node("Finished", firstExit), Node("Exited", secondExit)]);

        Assert.Equal(expected, state.Text);
    }

    [Fact]
    public void PropertiesOf_TakesTheLeaderFromTheHighestTerm_AndCountsRunningNodes()
    {
        // node3 was cut off: it still believes node1 leads in term 2.
        var properties = ClusterState.PropertiesOf([new ResourcePropertySnapshot("raft.leader", "old")],
            [Node("Running", raft: ("node2", 3)), Node("Running", raft: ("node2", 3)), Node("Running", raft: ("node1", 2))]);

        Assert.Equal("node2", Value(properties, "raft.leader"));
        Assert.Equal(3L, Value(properties, "raft.term"));
        Assert.Equal("3 of 3 running", Value(properties, "distsync.nodes"));
        Assert.Single(properties, p => p.Name == "raft.leader");
    }

    [Fact]
    public void Judge_AMajorityNamesOneLeader_IsHealthy()
    {
        var result = ClusterLeaderHealthCheck.Judge([Answer("node1", "node2", 4), Answer("node2", "node2", 4), null], nodeCount: 3);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("node2 leads in term 4 (2 of 3 nodes agree).", result.Description);
    }

    [Fact]
    public void Judge_OnlyAMinorityNamesALeader_IsUnhealthy()
    {
        var result = ClusterLeaderHealthCheck.Judge([Answer("node1", "node1", 5), Answer("node2", null, 6), null, null, null], nodeCount: 5);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("node1 is named leader by 1 of 5 nodes, not a majority.", result.Description);
    }

    [Fact]
    public void Judge_NoNodeAnswers_IsUnhealthy()
    {
        var result = ClusterLeaderHealthCheck.Judge([null, null, null], nodeCount: 3);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("No leader yet (0 of 3 nodes answered).", result.Description);
    }

    private static CustomResourceSnapshot Node(string state, int? exitCode = null, (string Leader, long Term)? raft = null) => new()
    {
        ResourceType = "Project",
        State = state,
        ExitCode = exitCode,
        Properties = raft is { } r ? [new("raft.leader", r.Leader), new("raft.term", r.Term)] : ImmutableArray<ResourcePropertySnapshot>.Empty,
    };

    private static NodeHealthAnswer Answer(string node, string? leader, long term) => new(node, leader == node ? "leader" : "follower", term, leader);

    private static object? Value(ImmutableArray<ResourcePropertySnapshot> properties, string name) => properties.Single(p => p.Name == name).Value;
}
