using DistSync.Node.Hosting;
using DistSync.Node.Membership;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistSync.Tests.Membership;

/// <summary>The ring's membership: the leader's decision (grace periods, no flapping) and the replicated epoch rules.</summary>
public sealed class MembershipTests
{
    private static readonly MembershipOptions Options = new() { RemoveAfter = TimeSpan.FromSeconds(2), RejoinAfter = TimeSpan.FromSeconds(1) };
    private static readonly ClusterMembership All = new(0, ["node1", "node2", "node3"]);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static Dictionary<string, bool> Reach(bool node2, bool node3 = true) => new() { ["node2"] = node2, ["node3"] = node3 };

    [Fact]
    public void Plan_PeerSilentShorterThanGrace_KeepsIt()
    {
        var planner = new MembershipPlanner("node1", Options);

        Assert.Null(planner.Plan(S(0), All, Reach(true)));
        Assert.Null(planner.Plan(S(1), All, Reach(false)));
        Assert.Null(planner.Plan(S(2.9), All, Reach(false)));
    }

    [Fact]
    public void Plan_PeerSilentForTheGrace_DropsItAndOnlyIt()
    {
        var planner = new MembershipPlanner("node1", Options);
        planner.Plan(S(0), All, Reach(true));
        planner.Plan(S(1), All, Reach(false));

        Assert.Equal(["node1", "node3"], planner.Plan(S(3), All, Reach(false)));
    }

    [Fact]
    public void Plan_FlappingPeer_NeverSilentLongEnough_StaysIn()
    {
        var planner = new MembershipPlanner("node1", Options);

        for (var t = 0.0; t < 20; t += 0.5)
        {
            Assert.Null(planner.Plan(S(t), All, Reach(node2: ((int)(t * 2) % 3) != 0)));
        }
    }

    [Fact]
    public void Plan_DroppedPeerBack_RejoinsOnlyAfterBeingSteady()
    {
        var planner = new MembershipPlanner("node1", Options);
        var without = new ClusterMembership(1, ["node1", "node3"]);
        planner.Plan(S(0), without, Reach(false));

        Assert.Null(planner.Plan(S(5), without, Reach(true)));
        Assert.Null(planner.Plan(S(5.5), without, Reach(true)));
        Assert.Equal(["node1", "node2", "node3"], planner.Plan(S(6), without, Reach(true)));
    }

    [Fact]
    public void Plan_AfterReset_ANewLeaderWaitsTheWholeGraceAgain()
    {
        var planner = new MembershipPlanner("node1", Options);
        planner.Plan(S(0), All, Reach(false));
        planner.Reset();

        Assert.Null(planner.Plan(S(2.5), All, Reach(false)));
        Assert.Equal(["node1", "node3"], planner.Plan(S(4.5), All, Reach(false)));
    }

    [Fact]
    public void Apply_ChangeOfTheCurrentEpoch_RaisesTheEpochByOne()
    {
        var machine = Machine();
        ClusterMembership? seen = null;
        machine.Changed += (_, after) => seen = after;

        var outcome = (MembershipOutcome)machine.Apply(10, 0, MembershipStateMachine.Encode(new MembershipChange(0, ["node3", "node1"])))!;

        Assert.True(outcome.Applied);
        Assert.Equal(new ClusterMembership(1, ["node1", "node3"]), machine.Current);
        Assert.Equal(machine.Current, seen);
    }

    [Fact]
    public void Apply_ChangeOfAnOlderEpoch_IsRefusedAndChangesNothing()
    {
        var machine = Machine();
        machine.Apply(10, 0, MembershipStateMachine.Encode(new MembershipChange(0, ["node1", "node3"])));

        var outcome = (MembershipOutcome)machine.Apply(11, 0, MembershipStateMachine.Encode(new MembershipChange(0, ["node1", "node2"])))!;

        Assert.False(outcome.Applied);
        Assert.Equal(new ClusterMembership(1, ["node1", "node3"]), machine.Current);
    }

    [Theory]
    [InlineData("{\"ExpectedEpoch\":0,\"Members\":[\"node9\"]}")]
    [InlineData("{\"ExpectedEpoch\":0,\"Members\":[]}")]
    [InlineData("not json")]
    public void Apply_NotAChangeOfThisCluster_IsRefused(string command)
    {
        var machine = Machine();

        var outcome = (MembershipOutcome)machine.Apply(10, 0, System.Text.Encoding.UTF8.GetBytes(command))!;

        Assert.False(outcome.Applied);
        Assert.Equal(0, machine.Current.Epoch);
    }

    [Fact]
    public void Snapshot_RestoredOnAnotherNode_SameMembershipAndEpoch()
    {
        var machine = Machine();
        machine.Apply(10, 0, MembershipStateMachine.Encode(new MembershipChange(0, ["node1", "node3"])));
        var other = Machine();

        other.Restore(machine.Snapshot());

        Assert.Equal(machine.Current, other.Current);
        other.Restore([]);
        Assert.Equal(All, other.Current);
    }

    private static MembershipStateMachine Machine()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:node2:http:0"] = "http://127.0.0.1:1",
            ["services:node3:http:0"] = "http://127.0.0.1:2",
        }).Build();
        var options = Microsoft.Extensions.Options.Options.Create(new NodeOptions { NodeId = "node1" });
        var peers = new PeerDirectory(configuration, options);
        return new MembershipStateMachine(peers, new ClusterFounding(options, peers), NullLogger<MembershipStateMachine>.Instance);
    }
}
