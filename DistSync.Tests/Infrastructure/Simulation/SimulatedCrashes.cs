namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>Seeded crashes and restarts of simulated hosts; every draw comes from the run's one random source.</summary>
internal static class SimulatedCrashes
{
    /// <summary>
    /// Maybe crashes one host (the leader half the time), then restarts each down host with <paramref name="restartRate"/>.
    /// Returns 1 when a running host was crashed, else 0.
    /// </summary>
    public static int Inject(Random random, IReadOnlyList<ISimulatedHost> hosts, ISimulatedHost? leader, double crashRate, double restartRate)
    {
        var crashed = 0;
        if (random.NextDouble() < crashRate)
        {
            // Leaders are the interesting victims (Raft Figure 8 needs them to fail mid-replication): pick one half the time.
            var host = random.Next(2) == 0 ? leader ?? hosts[random.Next(hosts.Count)] : hosts[random.Next(hosts.Count)];
            if (host.IsUp)
            {
                crashed = 1;
            }

            host.Crash();
        }

        foreach (var host in hosts)
        {
            if (!host.IsUp && random.NextDouble() < restartRate)
            {
                host.Start(new Random(random.Next()));
            }
        }

        return crashed;
    }

    /// <summary>Starts every host that is down (healing at the end of the chaos phase).</summary>
    public static void RestartAll(Random random, IReadOnlyList<ISimulatedHost> hosts)
    {
        foreach (var host in hosts)
        {
            if (!host.IsUp)
            {
                host.Start(new Random(random.Next()));
            }
        }
    }
}
