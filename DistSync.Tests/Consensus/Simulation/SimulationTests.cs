using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>
/// Many seeded chaos runs of a 3- or 5-node cluster. DISTSYNC_SIM_SEEDS=5000 runs more seeds;
/// DISTSYNC_SIM_SEED=n replays one seed (see <see cref="Simulation_ReplaySeed_HoldsInvariants"/>).
/// </summary>
public sealed class SimulationTests
{
    private const int DefaultSeeds = 200;

    private const string SeedsVariable = "DISTSYNC_SIM_SEEDS";

    private const string SeedVariable = "DISTSYNC_SIM_SEED";

    public static TheoryData<int> Seeds() => SimulationSeeds.Enumerate(SeedsVariable, DefaultSeeds);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Simulation_RandomFaults_HoldsInvariantsAndRecovers(int seed) => RunSeed(seed);

    [Fact]
    public void Simulation_ReplaySeed_HoldsInvariants()
    {
        var seed = SimulationSeeds.Replay(SeedVariable, 424242);
        RunSeed(seed);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void Simulation_MessagesThroughCodec_SameOutcomeAsInMemory(int seed)
    {
        var direct = new ClusterSimulation(seed);
        direct.Run();
        var encoded = new ClusterSimulation(seed, throughCodec: true);
        encoded.Run();

        // The wire format loses nothing Raft relies on: the run is identical.
        Assert.Equal(direct.Ticks, encoded.Ticks);
        Assert.Equal(direct.CommittedCommands, encoded.CommittedCommands);
        Assert.Equal(direct.Leaders, encoded.Leaders);
    }

    [Fact]
    public void Simulation_SameSeed_ReplaysExactly()
    {
        var first = new ClusterSimulation(7);
        first.Run();
        var second = new ClusterSimulation(7);
        second.Run();

        Assert.Equal(first.Ticks, second.Ticks);
        Assert.Equal(first.CommittedCommands, second.CommittedCommands);
    }

    [Fact]
    public void Simulation_TwentySeeds_ExerciseEveryFault()
    {
        int crashes = 0, snapshots = 0, reads = 0, leaders = 0;
        long commands = 0;
        for (var seed = 1000; seed < 1020; seed++)
        {
            var simulation = new ClusterSimulation(seed);
            simulation.Run();
            crashes += simulation.Crashes;
            snapshots += simulation.SnapshotsInstalled;
            reads += simulation.ReadsServed;
            leaders += simulation.Leaders;
            commands += simulation.CommittedCommands;
        }

        // The runs must really crash nodes, install snapshots, serve reads and change leaders, or they prove little.
        var summary = $"crashes {crashes}, snapshots {snapshots}, reads {reads}, leaders {leaders}, commands {commands}";
        Assert.True(crashes > 0, summary);
        Assert.True(snapshots > 0, summary);
        Assert.True(reads > 0, summary);
        Assert.True(leaders > 20, summary);
        Assert.True(commands > 1000, summary);
    }

    [Fact]
    public void Simulation_TwentySeeds_ExerciseMembershipChanges()
    {
        int learners = 0, promotions = 0, removals = 0, leaderRemovals = 0, stranded = 0;
        for (var seed = 2000; seed < 2020; seed++)
        {
            var simulation = new ClusterSimulation(seed);
            simulation.Run();
            learners += simulation.LearnersAdded;
            promotions += simulation.Promotions;
            removals += simulation.Removals;
            leaderRemovals += simulation.LeaderRemovals;
            stranded += simulation.StrandedRemovedNodes;
        }

        // Learners must really join and be promoted, and members (leaders among them) really leave, or the runs prove little.
        var summary = $"learners added {learners}, promotions {promotions}, removals {removals} (of the leader {leaderRemovals}), " +
            $"removed nodes that missed their removal watched in a healthy cluster {stranded}";
        Assert.True(learners > 5, summary);
        Assert.True(promotions > 5, summary);
        Assert.True(removals > 5, summary);
        Assert.True(leaderRemovals > 0, summary);
        Assert.True(stranded > 0, summary);
        TestContext.Current.SendDiagnosticMessage(summary);
    }

    private static void RunSeed(int seed)
    {
        var simulation = new ClusterSimulation(seed);
        SimulationSeeds.Run(seed, SeedVariable, simulation.Run, () => simulation.Ticks);
        Assert.True(simulation.CommittedCommands > 0, $"seed {seed}: nothing was committed");
    }
}
