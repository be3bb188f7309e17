using DistSync.LoadTests.Chaos;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Cli;

namespace DistSync.Tests.Chaos;

/// <summary><c>chaos</c>'s options, and <c>chaos --check</c> over a saved history.</summary>
public sealed class ChaosCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", $"chaos-check-{Guid.NewGuid():n}");

    [Fact]
    public void Settings_Defaults_FiveMinutesOfEveryWorkloadAndNemesis()
    {
        var settings = ChaosCommand.Settings(CommandLine.Parse([]));

        Assert.Equal(TimeSpan.FromMinutes(5), settings.Length);
        Assert.Equal(["locks", "queue", "cache"], settings.Workloads);
        Assert.Equal(["kill", "pause", "partition", "latency", "redis", "clock"], settings.Nemeses);
        Assert.Equal(6, settings.ClientsPerWorkload);
        Assert.Equal(RedisTopology.Single, settings.Redis);
    }

    [Theory]
    [InlineData("single", RedisTopology.Single)]
    [InlineData("cluster", RedisTopology.Cluster)]
    public void Settings_Redis_SingleOrCluster(string redis, RedisTopology expected) =>
        Assert.Equal(expected, ChaosCommand.Settings(CommandLine.Parse(["--redis", redis])).Redis);

    [Fact]
    public void Settings_TakeWhatIsGiven()
    {
        var settings = ChaosCommand.Settings(CommandLine.Parse(["--seconds", "90", "--workload", "cache,locks", "--nemesis", "pause", "--seed", "12", "--clients", "3"]));

        Assert.Equal(TimeSpan.FromSeconds(90), settings.Length);
        Assert.Equal(12, settings.Seed);
        Assert.Equal(3, settings.ClientsPerWorkload);
        Assert.Equal(["cache", "locks"], settings.Workloads);
        Assert.Equal(["pause"], settings.Nemeses);
    }

    [Theory]
    [InlineData("--minutes 2 --seconds 30", "not both")]
    [InlineData("--seconds 10", "15 seconds at least")]
    [InlineData("--workload locks,files", "not 'files'")]
    [InlineData("--seed x", "--seed takes an integer")]
    [InlineData("--nemesis fire", "no nemesis 'fire'")]
    [InlineData("--clients 2", "at least 3, one per node")]
    [InlineData("--redis sentinel", "--redis must be one of single, cluster, not 'sentinel'")]
    public void Settings_Refuse_WithTheReason(string args, string reason) =>
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => ChaosCommand.Settings(CommandLine.Parse(args.Split(' ')))).Message, StringComparison.Ordinal);

    [Fact]
    public async Task Check_ASavedHistory_ExitsZeroWhenClean_OneOnAViolation()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, HistoryFile.FileName);
        var a = new ChaosOp("a", "node1", OpKinds.Acquire, "r", "a", 0, 10, Outcome.Ok) { Token = 1, TtlMs = 5000 };
        var release = new ChaosOp("a", "node1", OpKinds.Release, "r", null, 20, 30, Outcome.Ok);
        var b = new ChaosOp("b", "node2", OpKinds.Acquire, "r", "b", 40, 50, Outcome.Ok) { Token = 2, TtlMs = 5000 };
        HistoryFile.Write(file, [a, release, b]);

        Assert.Equal(0, await ChaosCommand.RunAsync(CommandLine.Parse(["--check", _dir]), "chaos --check", "", CancellationToken.None));

        // The same release, after b's grant: both held r at once.
        HistoryFile.Write(file, [a, b, release with { Invoked = 60, Completed = 70 }]);
        Assert.Equal(1, await ChaosCommand.RunAsync(CommandLine.Parse(["--check", file]), "chaos --check", "", CancellationToken.None));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => ChaosCommand.RunAsync(CommandLine.Parse(["--check", Path.Combine(_dir, "nothing")]), "", "", CancellationToken.None));
        Assert.Contains("no history.jsonl there", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
