using DistSync.Node.Cache;
using DistSync.Tests.Cache.Simulation;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Cache;

/// <summary>
/// Seeded runs of the real cache code on a simulated network: at most one node holds a key in M/E and then no other
/// node holds it valid, and no read returns a value older than the last completed write.
/// DISTSYNC_CACHESIM_SEEDS=500 runs more seeds; DISTSYNC_CACHESIM_SEED=n replays one.
/// </summary>
public sealed class CacheSimulationTests
{
    private const string SeedsVariable = "DISTSYNC_CACHESIM_SEEDS";

    private const string SeedVariable = "DISTSYNC_CACHESIM_SEED";

    public static TheoryData<int> Seeds() => SimulationSeeds.Enumerate(SeedsVariable, 25);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void WriteThrough_LossDelayPartitionsCrashesAndRedisErrors_LinesExclusiveAndHistoryLinearizable(int seed) =>
        Run(seed, new SimOptions());

    [Theory]
    [MemberData(nameof(Seeds))]
    public void WriteBack_LossDelayAndPartitions_LinesExclusiveAndHistoryLinearizable(int seed) =>
        // Write-back loses a dirty line when its node dies or a write-back fails (the documented window), so no
        // crashes and no Redis errors here.
        Run(seed, new SimOptions { Policy = CacheWritePolicy.WriteBack, Crashes = false, MemoryErrorRate = 0 });

    /// <summary>The ring moves between the steps of a request (a node has read it once and reads it again) and while homes wait out takeovers.</summary>
    private static SimOptions RingMovingMidRequest { get; } = new() { RingMovesMidRequest = true, RingFlapRatePerMs = 0.01, RingMoveOnTakeover = 0.5 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RingMovesMidRequest_OneHomePerKeyAndEpoch_LinesExclusiveAndHistoryLinearizable(int seed) =>
        Run(seed, RingMovingMidRequest);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RingMovesMidRequest_WriteBack_OneHomePerKeyAndEpoch_LinesExclusiveAndHistoryLinearizable(int seed) =>
        Run(seed, RingMovingMidRequest with { Policy = CacheWritePolicy.WriteBack, Crashes = false, MemoryErrorRate = 0 });

    [Fact]
    public void RingMovesMidRequest_ActuallyLandsBetweenReadsAndDuringTakeoverWaits()
    {
        var sim = new CacheSimulation(3, RingMovingMidRequest);
        sim.Run();

        Assert.True(sim.EpochChanges >= 40, $"{sim.EpochChanges} ring changes");
        Assert.True(sim.LandedMidRequest >= 5, $"{sim.LandedMidRequest} epochs landed inside a request");
        Assert.True(sim.LandedDuringTakeoverWaits >= 20, $"{sim.LandedDuringTakeoverWaits} epochs landed during a takeover wait");
    }

    [Fact]
    public void TinyL1_EvictionsUnderLoad_StillLinearizable() =>
        Run(SimulationSeeds.Replay(SeedVariable, 11), new SimOptions { MaxEntries = 1, Keys = 4, Policy = CacheWritePolicy.WriteBack, Crashes = false, MemoryErrorRate = 0 });

    [Fact]
    public void Replay_OneSeed() => Run(SimulationSeeds.Replay(SeedVariable, 424242), new SimOptions());

    [Fact]
    public void Replay_OneSeed_RingMovingMidRequest() => Run(SimulationSeeds.Replay(SeedVariable, 424242), RingMovingMidRequest);

    [Fact]
    public void Replay_OneSeed_WriteBack() => Run(SimulationSeeds.Replay(SeedVariable, 424242), new SimOptions { Policy = CacheWritePolicy.WriteBack, Crashes = false, MemoryErrorRate = 0 });

    [Fact]
    public void SameSeed_ReplaysExactly()
    {
        var first = new CacheSimulation(5, new SimOptions { Duration = TimeSpan.FromSeconds(2) });
        first.Run();
        var second = new CacheSimulation(5, new SimOptions { Duration = TimeSpan.FromSeconds(2) });
        second.Run();

        Assert.Equal(first.Steps, second.Steps);
        Assert.Equal(first.History, second.History);
        Assert.True(first.History.Count > 500, $"only {first.History.Count} operations ran");
    }

    [Fact]
    public void SameSeed_RingMovingMidRequest_ReplaysExactly()
    {
        var first = new CacheSimulation(7, RingMovingMidRequest with { Duration = TimeSpan.FromSeconds(2) });
        first.Run();
        var second = new CacheSimulation(7, RingMovingMidRequest with { Duration = TimeSpan.FromSeconds(2) });
        second.Run();

        Assert.Equal(first.Steps, second.Steps);
        Assert.Equal(first.History, second.History);
        Assert.Equal((first.EpochChanges, first.LandedMidRequest, first.LandedDuringTakeoverWaits), (second.EpochChanges, second.LandedMidRequest, second.LandedDuringTakeoverWaits));
        Assert.True(first.History.Count > 200, $"only {first.History.Count} operations ran");
    }

    [Fact]
    public void Run_ActuallyFaults_AndMovesHomes()
    {
        var sim = new CacheSimulation(3, new SimOptions());
        sim.Run();

        Assert.True(sim.Crashes + sim.Partitions >= 3, $"{sim.Crashes} crashes and {sim.Partitions} partitions");
        Assert.True(sim.EpochChanges >= 2, $"{sim.EpochChanges} ring changes");
        Assert.Contains(sim.History, o => o.Unknown);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PlantedBug_WriteSkipsOneInvalidationAck_IsCaught(bool checkLinesEveryStep)
    {
        // A write that returns before one sharer dropped its copy. With the line check off, the linearizability
        // search over the history must find it by itself (a read served by that sharer after the write returned).
        var caught = Enumerable.Range(1, 10).Count(seed =>
        {
            try
            {
                new CacheSimulation(seed, new SimOptions
                {
                    PlantSkippedAck = true, CheckLinesEveryStep = checkLinesEveryStep, Crashes = false, LossRate = 0, FaultRatePerMs = 0, MaxDelayMs = 8,
                    Duration = TimeSpan.FromSeconds(2),
                }).Run();
                return false;
            }
            catch (SimulationFailure)
            {
                return true;
            }
        });

        Assert.True(caught >= 8, $"the planted bug was caught in {caught} of 10 seeds");
    }

    private static void Run(int seed, SimOptions options)
    {
        var sim = new CacheSimulation(seed, options);
        SimulationSeeds.Run(seed, SeedVariable, sim.Run, () => sim.Steps);
    }
}
