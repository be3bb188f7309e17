using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// Seeded chaos runs of the lock table on Raft: no two conflicting holders ever exist, and no session ends while its
/// client still trusts it, across leader changes and within 1 % clock drift too.
/// DISTSYNC_LOCKSIM_SEEDS=2000 runs more seeds; DISTSYNC_LOCKSIM_SEED=n replays one
/// (see <see cref="LockSimulation_ReplaySeed_HoldsLockInvariants"/>).
/// </summary>
public sealed class LockSimulationTests
{
    private const int DefaultSeeds = 100;

    private const string SeedsVariable = "DISTSYNC_LOCKSIM_SEEDS";

    private const string SeedVariable = "DISTSYNC_LOCKSIM_SEED";

    public static TheoryData<int> Seeds() => SimulationSeeds.Enumerate(SeedsVariable, DefaultSeeds);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void LockSimulation_RandomFaults_NoConflictingHoldersAndNoLostGrants(int seed) => RunSeed(seed);

    [Fact]
    public void LockSimulation_ReplaySeed_HoldsLockInvariants()
    {
        var seed = SimulationSeeds.Replay(SeedVariable, 424242);
        RunSeed(seed);
    }

    [Fact]
    public void LockSimulation_SameSeed_ReplaysExactly()
    {
        var first = new LockSimulation(7);
        first.Run();
        var second = new LockSimulation(7);
        second.Run();

        Assert.Equal(first.Ticks, second.Ticks);
        Assert.Equal(first.CommittedCommands, second.CommittedCommands);
        Assert.Equal(first.GrantsObserved, second.GrantsObserved);
    }

    [Fact]
    public void LockSimulation_TwentySeeds_ExerciseFailoverExpiryWaitsUpgradesAndSessions()
    {
        int crashes = 0, snapshots = 0, leaders = 0, grants = 0, waits = 0, expired = 0, held = 0, upgrades = 0, deadlocks = 0;
        int sessions = 0, keepAlives = 0, sessionGrants = 0, sessionsExpired = 0, sessionsClosed = 0, sessionHoldsReleased = 0;
        for (var seed = 1000; seed < 1020; seed++)
        {
            var simulation = new LockSimulation(seed);
            simulation.Run();
            crashes += simulation.Crashes;
            snapshots += simulation.SnapshotsInstalled;
            leaders += simulation.Leaders;
            grants += simulation.GrantsObserved;
            waits += simulation.WaitsGranted;
            expired += simulation.LeasesExpired;
            held += simulation.HoldsCheckedAtEnd;
            upgrades += simulation.UpgradesGranted;
            deadlocks += simulation.DeadlocksRefused;
            sessions += simulation.SessionsOpened;
            keepAlives += simulation.KeepAlivesAnswered;
            sessionGrants += simulation.SessionHoldsGranted;
            sessionsExpired += simulation.SessionsExpired;
            sessionsClosed += simulation.SessionsClosed;
            sessionHoldsReleased += simulation.SessionHoldsReleased;
        }

        // The runs must change leaders, crash nodes, install snapshots, expire leases and grant waiters, or they prove little.
        var summary = $"seeds 1000-1019: crashes {crashes}, snapshots {snapshots}, leaders {leaders}, grants {grants}, waits granted {waits}, leases expired {expired}, holds checked at end {held}, upgrades {upgrades}, deadlocks {deadlocks}, "
            + $"sessions {sessions}, keep-alives {keepAlives}, session grants {sessionGrants}, sessions expired {sessionsExpired}, closed {sessionsClosed}, session holds released {sessionHoldsReleased}";
        Assert.True(crashes > 0, summary);
        Assert.True(snapshots > 0, summary);
        Assert.True(leaders > 40, summary);
        Assert.True(grants > 500, summary);
        Assert.True(waits > 100, summary);
        Assert.True(expired > 150, summary);
        Assert.True(upgrades > 20, summary);
        Assert.True(deadlocks > 0, summary);
        Assert.True(sessions > 40 && keepAlives > 60 && sessionGrants > 50, summary);
        Assert.True(sessionsExpired > 10 && sessionsClosed > 10 && sessionHoldsReleased > 15, summary);

        // The durability check at the end must have had live holds to look for.
        Assert.True(held > 10, summary);
    }

    private static void RunSeed(int seed)
    {
        var simulation = new LockSimulation(seed);
        SimulationSeeds.Run(seed, SeedVariable, simulation.Run, () => simulation.Ticks);
        Assert.True(simulation.GrantsObserved > 0, $"seed {seed}: no client was ever granted a lock");
    }
}
