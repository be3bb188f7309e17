using System.Globalization;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>The seed plumbing of simulation tests: how many seeds to run, which one to replay, and failure reports that name the seed.</summary>
internal static class SimulationSeeds
{
    /// <summary>Seeds 1..n, where n comes from <paramref name="countVariable"/> when it holds a positive integer.</summary>
    public static TheoryData<int> Enumerate(string countVariable, int defaultCount)
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable(countVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : defaultCount;
        var data = new TheoryData<int>();
        for (var seed = 1; seed <= count; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    /// <summary>The seed named by <paramref name="seedVariable"/>, or <paramref name="fallback"/>.</summary>
    public static int Replay(string seedVariable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(seedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
            ? s
            : fallback;

    /// <summary>Runs one seeded simulation; any broken invariant fails the test with the seed and how to replay it.</summary>
    public static void Run(int seed, string seedVariable, Action run, Func<long> ticks)
    {
        try
        {
            run();
        }
        catch (InvalidOperationException e)
        {
            // A core assertion fired: report it with the seed so it replays.
            Assert.Fail($"seed {seed}: core invariant broken at tick {ticks()}: {e.Message}. Replay with {seedVariable}={seed}.");
        }
        catch (SimulationFailure e)
        {
            Assert.Fail(e.Message);
        }
    }
}
